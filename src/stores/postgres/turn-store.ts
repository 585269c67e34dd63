/**
 * A TurnStore on PostgreSQL, with the SQLite store's layout (each block kept once, as versions per block position;
 * a save writes what the turn added or changed) so that a save costs the same at turn 1,000 as at turn 20.
 *
 * Several processes may write one database, even one session: a save locks its session's row, and the block
 * list it diffs against is reused only when no one else saved the session since (its `revision`). Every save is
 * one transaction: a reader (or a writer killed mid-save) leaves the previous save or the new one, never a mix.
 */

import {
  assembleTurn,
  CorruptTurnError,
  decodeStoredBlock,
  decodeStoredObject,
  type SavedTurnInfo,
  type SessionSearchHit,
  type SessionSearchOptions,
  type SessionSummary,
  type StoreStats,
  searchableText,
  searchExcerpt,
  searchNeedle,
  sessionTitle,
  type TurnStore,
} from "../../session/turn-store.ts";
import type { SnapshotPhase } from "../../toolloop/snapshot.ts";
import { deepFreeze } from "../../turns/immutable.ts";
import { KeyTurnMetaSessionId } from "../../turns/keys.ts";
import type { Block, Turn } from "../../turns/types.ts";
import {
  connectPostgres,
  migrateSchema,
  type PostgresConnection,
  type PostgresTarget,
  type Sql,
  type TransactionSql,
} from "./connection.ts";

import { TURNS_MIGRATIONS } from "./turn-schema.ts";

export { TURNS_MIGRATIONS } from "./turn-schema.ts";

/** A client or a transaction: what the store's queries run on. */
type Queries = Sql | TransactionSql;

interface TurnRow {
  position: number;
  turn_id: string;
  phase: string;
  saved_at: Date;
  block_count: number;
  metadata_json: string;
  data_json: string;
}

interface BlockRow {
  block_index: number;
  turn_position: number;
  block_json: string;
}

interface SummaryRow {
  session_id: string;
  turn_count: number;
  created_at: Date;
  updated_at: Date;
  title: string;
}

/** What the store remembers of its last save of a session, to diff the next one against. */
interface Mirror {
  revision: string;
  position: number;
  blocks: readonly Block[];
}

const toSummary = (row: SummaryRow): SessionSummary => ({
  sessionId: row.session_id,
  turnCount: row.turn_count,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  title: row.title,
});

/**
 * A PostgreSQL-backed store. Create it with {@link openPostgresTurnStore}.
 *
 * @example
 * const store = await openPostgresTurnStore({ url: "postgres://app@db:5432/app" });
 * await store.save("s1", turn, "post_inference");
 * await store.close();
 */
export class PostgresTurnStore implements TurnStore {
  readonly #connection: PostgresConnection;
  readonly #sql: Sql;
  readonly #mirrors = new Map<string, Mirror>();
  readonly #queues = new Map<string, Promise<void>>();
  readonly #stats: StoreStats = { saves: 0, rowsWritten: 0, bytesWritten: 0 };

  /** Use {@link openPostgresTurnStore}. */
  constructor(connection: PostgresConnection) {
    this.#connection = connection;
    this.#sql = connection.sql;
  }

  #count(rows: number, ...values: (string | number)[]): void {
    this.#stats.rowsWritten += rows;
    for (const value of values) this.#stats.bytesWritten += typeof value === "string" ? value.length : 8;
  }

  /**
   * Saves of one session from this store run one after the other, in the order they were called (the pool would
   * otherwise let a later save's connection overtake an earlier one); saves of different sessions run at once.
   */
  save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    const previous = this.#queues.get(sessionId) ?? Promise.resolve();
    const saved = previous.then(async () => {
      const mirror = await this.#sql.begin((transaction) => this.#save(transaction, sessionId, turn, phase));
      this.#mirrors.set(sessionId, mirror);
      this.#stats.saves++;
    });
    const settled = saved.then(
      () => {},
      () => {},
    );
    this.#queues.set(sessionId, settled);
    settled.then(() => {
      if (this.#queues.get(sessionId) === settled) this.#queues.delete(sessionId);
    });
    return saved;
  }

  async #save(sql: Queries, sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<Mirror> {
    const lock = () => sql<
      {
        ref: string;
        turn_count: number;
        title: string;
        revision: string;
        position: number | null;
        block_count: number | null;
        metadata_json: string | null;
        data_json: string | null;
      }[]
    >`SELECT s.ref, s.turn_count, s.title, s.revision, t.position, t.block_count, t.metadata_json, t.data_json
      FROM geppetto_sessions s LEFT JOIN geppetto_turns t ON t.session_ref = s.ref AND t.turn_id = ${turn.id}
      WHERE s.session_id = ${sessionId} FOR UPDATE OF s`;
    let [session] = await lock();
    if (!session) {
      await sql`INSERT INTO geppetto_sessions (session_id) VALUES (${sessionId}) ON CONFLICT (session_id) DO NOTHING`;
      [session] = await lock();
    }
    const { ref } = session!;
    const existing = session!.position !== null;
    const position = session!.position ?? session!.turn_count + 1;
    const newest = position >= session!.turn_count;
    const basePosition = existing ? position : position - 1;
    let mirror = this.#mirrors.get(sessionId);
    if (mirror && (mirror.position !== basePosition || mirror.revision !== session!.revision))
      mirror = undefined;
    const base: readonly Block[] =
      mirror?.blocks ??
      (basePosition > 0 ? await this.#blocksAt(sql, sessionId, ref, basePosition, turn.id) : []);
    const kept = turn.blocks.slice();
    const indexes: number[] = [];
    const documents: string[] = [];
    const texts: string[] = [];
    const writes: Promise<unknown>[] = [];
    for (let index = 0; index < kept.length; index++) {
      const block = kept[index]!;
      const previous = base[index];
      if (block === previous) continue;
      const json = JSON.stringify(block);
      if (previous !== undefined && previous.id === block.id && JSON.stringify(previous) === json) {
        kept[index] = previous;
        continue;
      }
      if (!newest) writes.push(this.#pin(sql, ref, position, index));
      indexes.push(index);
      documents.push(json);
      texts.push(searchableText(block));
      this.#count(1, index, position, json);
      deepFreeze(block);
    }
    if (indexes.length > 0) {
      writes.push(sql`INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json, search_text)
        SELECT ${ref}, block_index, ${position}, block_json, search_text
        FROM unnest(${sql.array(indexes)}::int[], ${sql.array(documents)}::text[], ${sql.array(texts)}::text[])
          AS written (block_index, block_json, search_text)
        ON CONFLICT (session_ref, block_index, turn_position)
        DO UPDATE SET block_json = excluded.block_json, search_text = excluded.search_text`);
    }
    if (existing && newest && turn.blocks.length < session!.block_count!) {
      writes.push(sql`DELETE FROM geppetto_blocks
        WHERE session_ref = ${ref} AND turn_position = ${position} AND block_index >= ${turn.blocks.length}`);
    }
    const metadataJson = JSON.stringify({ ...turn.metadata, [KeyTurnMetaSessionId.id]: sessionId });
    const dataJson = JSON.stringify(turn.data);
    if (existing) {
      writes.push(sql`UPDATE geppetto_turns SET phase = ${phase}, saved_at = now(), block_count = ${turn.blocks.length},
        metadata_json = ${metadataJson}, data_json = ${dataJson} WHERE session_ref = ${ref} AND position = ${position}`);
      const metadataChanged = metadataJson !== session!.metadata_json ? metadataJson : "";
      this.#count(
        1,
        phase,
        8,
        turn.blocks.length,
        metadataChanged,
        dataJson !== session!.data_json ? dataJson : "",
      );
    } else {
      writes.push(sql`INSERT INTO geppetto_turns
        (session_ref, position, turn_id, phase, saved_at, block_count, metadata_json, data_json)
        VALUES (${ref}, ${position}, ${turn.id}, ${phase}, now(), ${turn.blocks.length}, ${metadataJson}, ${dataJson})`);
      this.#count(1, position, turn.id, phase, 8, turn.blocks.length, metadataJson, dataJson);
    }
    const title = session!.title === "" ? sessionTitle(turn) : session!.title;
    const update = sql<{ revision: string }[]>`UPDATE geppetto_sessions SET updated_at = now(),
        turn_count = GREATEST(turn_count, ${position}), title = ${title}, revision = revision + 1
      WHERE ref = ${ref} RETURNING revision`;
    this.#count(1, 8, position, title === session!.title ? "" : title);
    // Sent together (pipelined on the transaction's connection), in order: pins before the blocks they protect.
    const [updated] = (await Promise.all([update, ...writes]))[0] as { revision: string }[];
    return { revision: updated!.revision, position, blocks: kept };
  }

  /**
   * Before an older turn changes its block at `index`, the next turn gets its own copy of the block it inherited
   * from there, so that changing an older turn never changes a newer one.
   */
  #pin(sql: Queries, ref: string, position: number, index: number): Promise<unknown> {
    return sql`INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json, search_text)
      SELECT session_ref, block_index, ${position + 1}, block_json, search_text FROM geppetto_blocks
      WHERE session_ref = ${ref} AND block_index = ${index} AND turn_position <= ${position}
        AND ${index} < (SELECT block_count FROM geppetto_turns WHERE session_ref = ${ref} AND position = ${position + 1})
      ORDER BY turn_position DESC LIMIT 1
      ON CONFLICT DO NOTHING`;
  }

  /** The blocks of the turn at `position`: per block position, the latest version written at or before it. */
  async #blocksAt(
    sql: Queries,
    sessionId: string,
    ref: string,
    position: number,
    turnId: string,
  ): Promise<Block[]> {
    const rows = await sql<
      BlockRow[]
    >`SELECT DISTINCT ON (b.block_index) b.block_index, b.turn_position, b.block_json
      FROM geppetto_blocks b JOIN geppetto_turns t ON t.session_ref = b.session_ref AND t.position = ${position}
      WHERE b.session_ref = ${ref} AND b.turn_position <= ${position} AND b.block_index < t.block_count
      ORDER BY b.block_index, b.turn_position DESC`;
    const blocks: Block[] = [];
    for (const row of rows) blocks[row.block_index] = this.#decodeBlock(sessionId, turnId, row);
    return blocks;
  }

  #decodeBlock(sessionId: string, turnId: string, row: BlockRow): Block {
    return decodeStoredBlock(row.block_json, {
      sessionId,
      turnId,
      column: `block_json (block ${row.block_index}, written by turn ${row.turn_position})`,
    });
  }

  #assemble(sessionId: string, row: TurnRow, blocks: readonly Block[]): Turn {
    const where = { sessionId, turnId: row.turn_id, phase: row.phase };
    const metadata = decodeStoredObject(row.metadata_json, { ...where, column: "metadata_json" });
    const data = decodeStoredObject(row.data_json, { ...where, column: "data_json" });
    if (blocks.length < row.block_count)
      throw new CorruptTurnError(where, `block ${blocks.length} is missing`);
    return assembleTurn(row.turn_id, blocks.slice(0, row.block_count), metadata, data, where);
  }

  async #loadOne(sessionId: string, turnId: string | undefined): Promise<Turn | undefined> {
    const [row] = await this.#sql<(TurnRow & { ref: string; revision: string })[]>`
      SELECT t.*, s.ref, s.revision FROM geppetto_sessions s JOIN geppetto_turns t ON t.session_ref = s.ref
      WHERE s.session_id = ${sessionId} AND (${turnId ?? null}::text IS NULL OR t.turn_id = ${turnId ?? null})
      ORDER BY t.position DESC LIMIT 1`;
    if (!row) return undefined;
    const turn = this.#assemble(
      sessionId,
      row,
      await this.#blocksAt(this.#sql, sessionId, row.ref, row.position, row.turn_id),
    );
    if (turnId === undefined) {
      this.#mirrors.set(sessionId, {
        revision: row.revision,
        position: row.position,
        blocks: turn.blocks.slice(),
      });
    }
    return turn;
  }

  async load(sessionId: string, turnId: string): Promise<Turn | undefined> {
    return this.#loadOne(sessionId, turnId);
  }

  async loadLatest(sessionId: string): Promise<Turn | undefined> {
    return this.#loadOne(sessionId, undefined);
  }

  async loadSession(sessionId: string): Promise<Turn[]> {
    // One snapshot for both reads, so a concurrent save cannot slip between them.
    const [rows, blockRows] = await this.#sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", (sql) => [
      sql<TurnRow[]>`SELECT t.* FROM geppetto_turns t JOIN geppetto_sessions s ON s.ref = t.session_ref
        WHERE s.session_id = ${sessionId} ORDER BY t.position`,
      sql<BlockRow[]>`SELECT b.block_index, b.turn_position, b.block_json
        FROM geppetto_blocks b JOIN geppetto_sessions s ON s.ref = b.session_ref
        WHERE s.session_id = ${sessionId} ORDER BY b.turn_position, b.block_index`,
    ]);
    const current: Block[] = [];
    const turns: Turn[] = [];
    let next = 0;
    for (const row of rows) {
      for (; next < blockRows.length && blockRows[next]!.turn_position <= row.position; next++) {
        const blockRow = blockRows[next]!;
        current[blockRow.block_index] = this.#decodeBlock(sessionId, row.turn_id, blockRow);
      }
      turns.push(this.#assemble(sessionId, row, current));
    }
    return turns;
  }

  async listSessions(): Promise<string[]> {
    const rows = await this.#sql<{ session_id: string }[]>`
      SELECT session_id FROM geppetto_sessions WHERE turn_count > 0 ORDER BY ref`;
    return rows.map((row) => row.session_id);
  }

  async listSessionSummaries(): Promise<SessionSummary[]> {
    const rows = await this.#sql<SummaryRow[]>`
      SELECT session_id, turn_count, created_at, updated_at, title FROM geppetto_sessions
      WHERE turn_count > 0 ORDER BY updated_at DESC, ref DESC`;
    return rows.map(toSummary);
  }

  /**
   * Looks the text up with `ILIKE` in the blocks' `search_text`, which the trigram index of schema version 2
   * answers; the blocks it returns are checked (PostgreSQL may fold more than ASCII letters) and read through a
   * cursor until `limit` sessions are found.
   *
   * @example
   * const found = await store.searchSessions("invoice");
   */
  async searchSessions(text: string, options: SessionSearchOptions = {}): Promise<SessionSearchHit[]> {
    const needle = searchNeedle(text);
    const limit = options.limit ?? 50;
    const pattern = `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    const hits = new Map<string, SessionSearchHit>();
    await this.#sql.begin("READ ONLY", async (sql) => {
      // The matching blocks first (only the trigram index can find them), then their sessions. The planner takes
      // a scan of a young table for cheaper than the index, and goes on doing so as it grows: told not to, it
      // reads the matching rows only, at any size.
      await sql`SET LOCAL enable_seqscan = off`;
      await sql<(SummaryRow & { ref: string; search_text: string })[]>`
        WITH b AS MATERIALIZED (SELECT session_ref, turn_position, block_index, search_text FROM geppetto_blocks
          WHERE search_text ILIKE ${pattern})
        SELECT s.ref, s.session_id, s.turn_count, s.created_at, s.updated_at, s.title, b.search_text
        FROM b JOIN geppetto_sessions s ON s.ref = b.session_ref WHERE s.turn_count > 0
        ORDER BY s.updated_at DESC, s.ref DESC, b.turn_position DESC, b.block_index`.cursor(64, (rows) => {
        for (const row of rows) {
          if (hits.has(row.ref)) continue;
          const excerpt = searchExcerpt(row.search_text, needle);
          if (excerpt === undefined) continue;
          hits.set(row.ref, { ...toSummary(row), excerpt });
          if (hits.size >= limit) return this.#sql.CLOSE;
        }
        return undefined;
      });
    });
    return [...hits.values()];
  }

  async listTurns(sessionId: string): Promise<SavedTurnInfo[]> {
    const rows = await this.#sql<TurnRow[]>`
      SELECT t.position, t.turn_id, t.phase, t.saved_at FROM geppetto_turns t
      JOIN geppetto_sessions s ON s.ref = t.session_ref WHERE s.session_id = ${sessionId} ORDER BY t.position`;
    return rows.map((row) => ({
      sessionId,
      turnId: row.turn_id,
      position: row.position,
      phase: row.phase as SnapshotPhase,
      savedAt: row.saved_at.toISOString(),
    }));
  }

  async fork(sessionId: string, newSessionId: string = crypto.randomUUID()): Promise<string> {
    await this.#sql.begin(async (sql) => {
      const [created] = await sql<{ ref: string }[]>`
        INSERT INTO geppetto_sessions (session_id) VALUES (${newSessionId}) ON CONFLICT (session_id) DO NOTHING
        RETURNING ref`;
      if (!created) throw new TypeError(`session ${newSessionId} already exists`);
      const [source] = await sql<{ ref: string }[]>`
        SELECT ref FROM geppetto_sessions WHERE session_id = ${sessionId} FOR SHARE`;
      if (!source) return;
      await sql`UPDATE geppetto_sessions SET (turn_count, title, created_at, updated_at) =
        (SELECT turn_count, title, created_at, updated_at FROM geppetto_sessions WHERE ref = ${source.ref})
        WHERE ref = ${created.ref}`;
      const turns = await sql<{ position: number; metadata_json: string }[]>`
        SELECT position, metadata_json FROM geppetto_turns WHERE session_ref = ${source.ref}`;
      const metadata = turns.map((row) => {
        try {
          return JSON.stringify({
            ...JSON.parse(row.metadata_json),
            [KeyTurnMetaSessionId.id]: newSessionId,
          });
        } catch {
          return row.metadata_json; // corrupt: copied as it is, named when loaded
        }
      });
      await sql`INSERT INTO geppetto_turns
          (session_ref, position, turn_id, phase, saved_at, block_count, metadata_json, data_json)
        SELECT ${created.ref}, t.position, t.turn_id, t.phase, t.saved_at, t.block_count, m.metadata_json, t.data_json
        FROM geppetto_turns t JOIN unnest(${sql.array(turns.map((row) => row.position))}::int[],
          ${sql.array(metadata)}::text[]) AS m (position, metadata_json) ON m.position = t.position
        WHERE t.session_ref = ${source.ref}`;
      await sql`INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json, search_text)
        SELECT ${created.ref}, block_index, turn_position, block_json, search_text FROM geppetto_blocks
        WHERE session_ref = ${source.ref}`;
    });
    return newSessionId;
  }

  async delete(sessionId: string): Promise<boolean> {
    const [row] = await this.#sql<{ turn_count: number }[]>`
      DELETE FROM geppetto_sessions WHERE session_id = ${sessionId} RETURNING turn_count`;
    this.#mirrors.delete(sessionId);
    return row !== undefined && row.turn_count > 0;
  }

  /** What this store wrote since it was opened: saves, rows inserted or updated, and the bytes of their values. */
  stats(): StoreStats {
    return { ...this.#stats };
  }

  /** Ends the connection pool (when the store opened it). */
  async close(): Promise<void> {
    await this.#connection.end();
  }
}

/**
 * Opens a store on PostgreSQL, creating or migrating its tables on open (under an advisory lock: two instances
 * starting at once migrate once). A database written by a newer geppetto is refused with a StoreSchemaError; a
 * server that cannot be reached with a StoreConnectionError naming it (password redacted).
 *
 * @example
 * const store = await openPostgresTurnStore({ url: process.env.DATABASE_URL! });
 */
export async function openPostgresTurnStore(target: PostgresTarget): Promise<PostgresTurnStore> {
  const connection = await connectPostgres(target);
  try {
    await migrateSchema(connection.sql, "turns", TURNS_MIGRATIONS, connection.where);
  } catch (error) {
    await connection.end();
    throw error;
  }
  return new PostgresTurnStore(connection);
}
