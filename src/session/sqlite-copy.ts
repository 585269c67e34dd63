/**
 * Copies of rows in the SQLite store (each run inside the store's transaction): a block version pinned to the next
 * turn before an older turn changes it, a session's rows copied under a new id (a fork), and a session's rows
 * deleted, the search index kept in step.
 */
import { CallerError } from "../engine/errors.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import type { SqliteRows } from "./sqlite-rows.ts";
import { indexCopiedRows, unindexRows } from "./sqlite-search.ts";

/**
 * Before an older turn changes its block at `index`, the next turn gets its own copy of the block it inherited
 * from there, so that changing an older turn never changes a newer one.
 */
export function pinBlock(rows: SqliteRows, ref: number, position: number, index: number): void {
  const pinned = rows
    .statement(
      `INSERT OR IGNORE INTO geppetto_blocks (session_ref, block_index, turn_position, block_json)
     SELECT session_ref, block_index, ?2 + 1, block_json FROM geppetto_blocks
     WHERE session_ref = ?1 AND block_index = ?3 AND turn_position <= ?2
       AND ?3 < (SELECT block_count FROM geppetto_turns WHERE session_ref = ?1 AND position = ?2 + 1)
     ORDER BY turn_position DESC LIMIT 1 RETURNING rowid, block_json`,
    )
    .all(ref, position, index);
  if (pinned.length === 0) return;
  indexCopiedRows(rows.statements, pinned);
  // The copy takes the pieces (streaming checkpoints) of the version it copied.
  rows
    .statement(
      `INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text)
     SELECT session_ref, block_index, ?2 + 1, text FROM geppetto_pieces
     WHERE session_ref = ?1 AND block_index = ?3 AND turn_position = (SELECT MAX(turn_position)
       FROM geppetto_blocks WHERE session_ref = ?1 AND block_index = ?3 AND turn_position <= ?2)
     ORDER BY seq`,
    )
    .run(ref, position, index);
}

/**
 * Copies the rows of `sessionId` under `newSessionId` (which must not exist: a CallerError `session_exists` otherwise); a missing
 * source gives an empty session.
 *
 * @example
 * rows.transaction(() => copySessionRows(rows, "s1", "s1-copy"));
 */
export function copySessionRows(rows: SqliteRows, sessionId: string, newSessionId: string): void {
  if (rows.ref(newSessionId, false) !== undefined)
    throw new CallerError(`session ${newSessionId} already exists`, { code: "session_exists" });
  const from = rows.ref(sessionId, false);
  const to = rows.ref(newSessionId, true)!;
  if (from === undefined) return;
  const key = KeyTurnMetaSessionId.id;
  rows
    .statement(
      `UPDATE geppetto_sessions SET (turn_count, title, updated_at) =
       (SELECT turn_count, title, updated_at FROM geppetto_sessions WHERE ref = ?) WHERE ref = ?`,
    )
    .run(from, to);
  rows
    .statement(
      `INSERT INTO geppetto_turns (session_ref, position, turn_id, phase, saved_at, block_count, metadata_json, data_json, legacy_json)
     SELECT ?, position, turn_id, phase, saved_at, block_count,
       CASE WHEN json_valid(metadata_json) THEN json_set(metadata_json, '$."${key}"', ?) ELSE metadata_json END,
       data_json, legacy_json
     FROM geppetto_turns WHERE session_ref = ?`,
    )
    .run(to, newSessionId, from);
  const copied = rows
    .statement(
      `INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json)
     SELECT ?, block_index, turn_position, block_json FROM geppetto_blocks WHERE session_ref = ?
     RETURNING rowid, block_json`,
    )
    .all(to, from);
  indexCopiedRows(rows.statements, copied);
  rows
    .statement(
      `INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text)
     SELECT ?, block_index, turn_position, text FROM geppetto_pieces WHERE session_ref = ? ORDER BY seq`,
    )
    .run(to, from);
}

/**
 * Deletes the rows of the session `ref`; returns whether it had turns.
 *
 * @example
 * rows.transaction(() => deleteSessionRows(rows, ref));
 */
export function deleteSessionRows(rows: SqliteRows, ref: number): boolean {
  const removed = rows
    .statement("DELETE FROM geppetto_blocks WHERE session_ref = ? RETURNING rowid")
    .all(ref);
  unindexRows(rows.statements, removed);
  rows.statement("DELETE FROM geppetto_pieces WHERE session_ref = ?").run(ref);
  const turns = rows.statement("DELETE FROM geppetto_turns WHERE session_ref = ?").run(ref);
  rows.statement("DELETE FROM geppetto_sessions WHERE ref = ?").run(ref);
  return Number(turns.changes) > 0;
}
