/**
 * A TurnStore on PostgreSQL, with the SQLite store's layout (each block kept once, as versions per block position;
 * a save writes what the turn added or changed) so that a save costs the same at turn 1,000 as at turn 20.
 *
 * Several processes may write one database, even one session: a save locks its session's row, and the block
 * list it diffs against is reused only when no one else saved the session since (its `revision`). Every save is
 * one transaction: a reader (or a writer killed mid-save) leaves the previous save or the new one, never a mix.
 */

import type { StreamProgress } from "../../engine/checkpoint.ts";
import {
  type SavedTurnInfo,
  type SessionSearchHit,
  type SessionSearchOptions,
  type SessionSummary,
  type StoreStats,
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
} from "./connection.ts";

import { forkSession, pinBlock } from "./turn-fork.ts";
import { assembleTurnRow, type Queries, readBlocksAt, readSession, type TurnRow } from "./turn-read.ts";
import { TURNS_MIGRATIONS } from "./turn-schema.ts";
import { foldedSearchText, searchPostgresBlocks } from "./turn-search.ts";

export { TURNS_MIGRATIONS } from "./turn-schema.ts";

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
  turnId: string;
  phase: string;
  /** The turn was the session's newest when saved (a checkpoint of an older turn is saved whole). */
  newest: boolean;
  blocks: Block[];
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

  /** Saves (or overwrites) the turn's latest state, in one transaction. */
  save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    return this.#queued(sessionId, async () => {
      const mirror = await this.#sql.begin((transaction) => this.#save(transaction, sessionId, turn, phase));
      this.#mirrors.set(sessionId, mirror);
      this.#stats.saves++;
    });
  }

  /**
   * Saves a checkpoint of the answer being streamed. After the inference's first checkpoint (a whole save), one
   * writes the blocks added or changed since the previous one, the text streamed onto the others as rows of
   * `geppetto_pieces`, and the turn's row: what streamed since the previous checkpoint, not the answer so far.
   * When anyone else saved the session since this store's last save, it saves the partial turn whole.
   */
  checkpoint(sessionId: string, progress: StreamProgress): Promise<void> {
    return this.#queued(sessionId, async () => {
      const mirror = this.#mirrors.get(sessionId);
      const appendable =
        !progress.full &&
        mirror !== undefined &&
        mirror.turnId === progress.turnId &&
        mirror.phase === "streaming" &&
        mirror.newest &&
        progress.firstOutputIndex <= mirror.blocks.length;
      const saved = await this.#sql.begin(async (transaction) => {
        if (appendable && (await this.#append(transaction, sessionId, mirror, progress))) return mirror;
        return this.#save(transaction, sessionId, progress.turn, "streaming");
      });
      this.#mirrors.set(sessionId, saved);
      this.#stats.saves++;
    });
  }

  /** Appends a checkpoint (see {@link checkpoint}); false, writing nothing, when the session changed meanwhile. */
  async #append(sql: Queries, sessionId: string, mirror: Mirror, progress: StreamProgress): Promise<boolean> {
    const [session] = await sql<{ ref: string; revision: string }[]>`
      SELECT ref, revision FROM geppetto_sessions WHERE session_id = ${sessionId} FOR UPDATE`;
    if (!session || session.revision !== mirror.revision) return false;
    const { ref } = session;
    const position = mirror.position;
    const writes: Promise<unknown>[] = [];
    if (progress.changed.length > 0) {
      const indexes = progress.changed.map((entry) => entry.index);
      const documents = progress.changed.map((entry) => JSON.stringify(entry.block));
      // Written whole: any text appended to these versions before is in them now.
      writes.push(sql`DELETE FROM geppetto_pieces WHERE session_ref = ${ref} AND turn_position = ${position}
        AND block_index = ANY(${sql.array(indexes)}::int[])`);
      writes.push(sql`INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json, search_text)
        SELECT ${ref}, block_index, ${position}, block_json, search_text
        FROM unnest(${sql.array(indexes)}::int[], ${sql.array(documents)}::text[],
          ${sql.array(progress.changed.map((entry) => foldedSearchText(entry.block)))}::text[])
          AS written (block_index, block_json, search_text)
        ON CONFLICT (session_ref, block_index, turn_position)
        DO UPDATE SET block_json = excluded.block_json, search_text = excluded.search_text`);
      for (let at = 0; at < indexes.length; at++) {
        this.#count(1, indexes[at]!, position, documents[at]!);
        mirror.blocks[indexes[at]!] = deepFreeze(progress.changed[at]!.block);
      }
    }
    if (progress.appended.length > 0) {
      const texts = progress.appended.map((piece) => piece.text);
      writes.push(sql`INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text)
        SELECT ${ref}, block_index, ${position}, text
        FROM unnest(${sql.array(progress.appended.map((piece) => piece.index))}::int[], ${sql.array(texts)}::text[])
          WITH ORDINALITY AS appended (block_index, text, ord) ORDER BY ord`);
      for (const text of texts) this.#count(1, 8, position, text);
    }
    const metadataJson = JSON.stringify({ ...progress.metadata, [KeyTurnMetaSessionId.id]: sessionId });
    writes.push(sql`UPDATE geppetto_turns SET phase = 'streaming', saved_at = now(), block_count = ${progress.blockCount},
      metadata_json = ${metadataJson} WHERE session_ref = ${ref} AND position = ${position}`);
    this.#count(1, 8, progress.blockCount, metadataJson);
    const update = sql<{ revision: string }[]>`UPDATE geppetto_sessions SET updated_at = now(),
      revision = revision + 1 WHERE ref = ${ref} RETURNING revision`;
    this.#count(1, 8);
    const [updated] = (await Promise.all([update, ...writes]))[0] as { revision: string }[];
    mirror.revision = updated!.revision;
    return true;
  }

  /**
   * Saves of one session from this store run one after the other, in the order they were called (the pool would
   * otherwise let a later save's connection overtake an earlier one); saves of different sessions run at once.
   */
  #queued(sessionId: string, action: () => Promise<void>): Promise<void> {
    const previous = this.#queues.get(sessionId) ?? Promise.resolve();
    const saved = previous.then(action);
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
        phase: string | null;
        block_count: number | null;
        metadata_json: string | null;
        data_json: string | null;
      }[]
    >`SELECT s.ref, s.turn_count, s.title, s.revision, t.position, t.phase, t.block_count, t.metadata_json, t.data_json
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
      (basePosition > 0 ? await readBlocksAt(sql, sessionId, ref, basePosition, turn.id) : []);
    // Block versions of this turn extended by streaming checkpoints are written whole now (their pieces dropped).
    const pieced =
      session!.phase === "streaming"
        ? new Set(
            (
              await sql<{ block_index: number }[]>`SELECT DISTINCT block_index FROM geppetto_pieces
                WHERE session_ref = ${ref} AND turn_position = ${position}`
            ).map((row) => row.block_index),
          )
        : undefined;
    const kept = turn.blocks.slice();
    const indexes: number[] = [];
    const documents: string[] = [];
    const texts: string[] = [];
    const writes: Promise<unknown>[] = [];
    for (let index = 0; index < kept.length; index++) {
      const block = kept[index]!;
      const previous = base[index];
      const fold = pieced?.has(index) === true;
      if (block === previous && !fold) continue;
      const json = JSON.stringify(block);
      if (!fold && previous !== undefined && previous.id === block.id && JSON.stringify(previous) === json) {
        kept[index] = previous;
        continue;
      }
      if (!newest) writes.push(pinBlock(sql, ref, position, index));
      indexes.push(index);
      documents.push(json);
      texts.push(foldedSearchText(block));
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
    // After the pins (which copy the pieces of what they copy).
    if (pieced !== undefined && pieced.size > 0)
      writes.push(
        sql`DELETE FROM geppetto_pieces WHERE session_ref = ${ref} AND turn_position = ${position}`,
      );
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
    return { revision: updated!.revision, position, turnId: turn.id, phase, newest, blocks: kept };
  }

  async #loadOne(sessionId: string, turnId: string | undefined): Promise<Turn | undefined> {
    const [row] = await this.#sql<(TurnRow & { ref: string; revision: string })[]>`
      SELECT t.*, s.ref, s.revision FROM geppetto_sessions s JOIN geppetto_turns t ON t.session_ref = s.ref
      WHERE s.session_id = ${sessionId} AND (${turnId ?? null}::text IS NULL OR t.turn_id = ${turnId ?? null})
      ORDER BY t.position DESC LIMIT 1`;
    if (!row) return undefined;
    const turn = assembleTurnRow(
      sessionId,
      row,
      await readBlocksAt(this.#sql, sessionId, row.ref, row.position, row.turn_id),
    );
    if (turnId === undefined) {
      this.#mirrors.set(sessionId, {
        revision: row.revision,
        position: row.position,
        turnId: row.turn_id,
        phase: row.phase,
        newest: true,
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
    return readSession(this.#sql, sessionId);
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
   * Looks the folded text up in the blocks' folded `search_text`, which the trigram index answers (see
   * turn-search.ts), and checks each block found.
   *
   * @example
   * const found = await store.searchSessions("invoice");
   */
  async searchSessions(text: string, options: SessionSearchOptions = {}): Promise<SessionSearchHit[]> {
    return searchPostgresBlocks(this.#sql, searchNeedle(text), options.limit ?? 50);
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
    await forkSession(this.#sql, sessionId, newSessionId);
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
