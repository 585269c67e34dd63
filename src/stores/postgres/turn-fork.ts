/**
 * Copies of rows on PostgreSQL: a session forked under a new session id in one transaction (turns with the new id
 * stamped on their metadata; block versions with their folded search text; checkpoint pieces in order), and a
 * block version pinned to the next turn before an older turn changes it.
 */
import { CallerError } from "../../engine/errors.ts";
import { KeyTurnMetaSessionId } from "../../turns/keys.ts";
import type { Sql } from "./connection.ts";
import type { Queries } from "./turn-read.ts";

/**
 * Copies `sessionId` to `newSessionId` (which must not exist: a CallerError `session_exists` otherwise); a missing source gives an
 * empty session.
 *
 * @example
 * await forkSession(sql, "s1", "s1-copy");
 */
export async function forkSession(sql: Sql, sessionId: string, newSessionId: string): Promise<void> {
  await sql.begin(async (transaction) => {
    const [created] = await transaction<{ ref: string }[]>`
      INSERT INTO geppetto_sessions (session_id) VALUES (${newSessionId}) ON CONFLICT (session_id) DO NOTHING
      RETURNING ref`;
    if (!created) throw new CallerError(`session ${newSessionId} already exists`, { code: "session_exists" });
    const [source] = await transaction<{ ref: string }[]>`
      SELECT ref FROM geppetto_sessions WHERE session_id = ${sessionId} FOR SHARE`;
    if (!source) return;
    await transaction`UPDATE geppetto_sessions SET (turn_count, title, created_at, updated_at) =
      (SELECT turn_count, title, created_at, updated_at FROM geppetto_sessions WHERE ref = ${source.ref})
      WHERE ref = ${created.ref}`;
    const turns = await transaction<{ position: number; metadata_json: string }[]>`
      SELECT position, metadata_json FROM geppetto_turns WHERE session_ref = ${source.ref}`;
    const metadata = turns.map((row) => {
      try {
        return JSON.stringify({ ...JSON.parse(row.metadata_json), [KeyTurnMetaSessionId.id]: newSessionId });
      } catch {
        return row.metadata_json; // corrupt: copied as it is, named when loaded
      }
    });
    await transaction`INSERT INTO geppetto_turns
        (session_ref, position, turn_id, phase, saved_at, block_count, metadata_json, data_json)
      SELECT ${created.ref}, t.position, t.turn_id, t.phase, t.saved_at, t.block_count, m.metadata_json, t.data_json
      FROM geppetto_turns t JOIN unnest(${transaction.array(turns.map((row) => row.position))}::int[],
        ${transaction.array(metadata)}::text[]) AS m (position, metadata_json) ON m.position = t.position
      WHERE t.session_ref = ${source.ref}`;
    await transaction`INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json, search_text)
      SELECT ${created.ref}, block_index, turn_position, block_json, search_text FROM geppetto_blocks
      WHERE session_ref = ${source.ref}`;
    await transaction`INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text)
      SELECT ${created.ref}, block_index, turn_position, text FROM geppetto_pieces
      WHERE session_ref = ${source.ref} ORDER BY seq`;
  });
}

/**
 * Before an older turn changes its block at `index`, the next turn gets its own copy of the block it inherited
 * from there (with the pieces of the version it copied), so that changing an older turn never changes a newer one.
 *
 * @example
 * await pinBlock(transaction, ref, 2, 0);
 */
export function pinBlock(sql: Queries, ref: string, position: number, index: number): Promise<unknown> {
  return sql`WITH pinned AS (
      INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json, search_text)
      SELECT session_ref, block_index, ${position + 1}, block_json, search_text FROM geppetto_blocks
      WHERE session_ref = ${ref} AND block_index = ${index} AND turn_position <= ${position}
        AND ${index} < (SELECT block_count FROM geppetto_turns WHERE session_ref = ${ref} AND position = ${position + 1})
      ORDER BY turn_position DESC LIMIT 1
      ON CONFLICT DO NOTHING RETURNING block_index)
    INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text)
    SELECT session_ref, block_index, ${position + 1}, text FROM geppetto_pieces
    WHERE EXISTS (SELECT 1 FROM pinned) AND session_ref = ${ref} AND block_index = ${index}
      AND turn_position = (SELECT max(turn_position) FROM geppetto_blocks
        WHERE session_ref = ${ref} AND block_index = ${index} AND turn_position <= ${position})
    ORDER BY seq`;
}
