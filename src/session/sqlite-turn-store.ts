/**
 * A TurnStore on SQLite, using Node's built-in `node:sqlite` (Node ≥ 22.13 / 24).
 *
 * Why `node:sqlite` and not `better-sqlite3`: it ships with Node, so there is no native addon to compile or
 * download, no prebuilt-binary mismatch across Node versions, and nothing to install; the API is the same
 * synchronous style. It is loaded lazily (only when you open a store), so importing geppetto never loads it.
 *
 * Layout (schema version 2, see sqlite-schema.ts): each block is stored once, as versions per block position; a
 * save writes the blocks the turn added or changed since the last save of its session, plus the turn's row. The
 * comparison is by identity for frozen blocks (the Session's), so it costs one pointer comparison per block and
 * no serialization of what did not change. Saved blocks are frozen in place (see `deepFreeze`).
 *
 * Durability: WAL journal, `synchronous = NORMAL` (a committed save survives a killed process; only a power
 * loss can drop the last few commits), and every save is one transaction, so a reader never sees a torn turn:
 * it sees the previous save or the new one.
 */
import type { DatabaseSync } from "node:sqlite";
import type { StreamProgress } from "../engine/checkpoint.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import { deepFreeze } from "../turns/immutable.ts";
import type { JsonObject } from "../turns/json.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import type { Block, Turn } from "../turns/types.ts";
import { setBusyTimeout, switchToWal } from "./sqlite-busy.ts";
import { appendCheckpoint, type Mirror } from "./sqlite-checkpoint.ts";
import { copySessionRows, deleteSessionRows, pinBlock } from "./sqlite-copy.ts";
import { migrateV1Rows } from "./sqlite-migrate-v1.ts";
import { assembleTurnRow, readBlocksAt, readSessionTurns, type TurnRow } from "./sqlite-read.ts";
import { SqliteRows } from "./sqlite-rows.ts";
import { ensureSchema, refuseNewer } from "./sqlite-schema.ts";
import { rebuildSearchIndex, searchBlocks, unindexRows } from "./sqlite-search.ts";
import {
  type SavedTurnInfo,
  type SessionSearchHit,
  type SessionSearchOptions,
  type SessionSummary,
  type StoreStats,
  searchNeedle,
  sessionTitle,
  type TurnStore,
} from "./turn-store.ts";

interface SummaryRow {
  session_id: string;
  turn_count: number;
  created_at: string;
  updated_at: string;
  title: string;
}

const toSummary = (row: SummaryRow): SessionSummary => ({
  sessionId: row.session_id,
  turnCount: row.turn_count,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  title: row.title,
});

function withSessionId(turn: Turn, sessionId: string): JsonObject {
  return { ...turn.metadata, [KeyTurnMetaSessionId.id]: sessionId };
}

/**
 * A SQLite-backed store. Create it with {@link openSqliteTurnStore}.
 *
 * @example
 * const store = await openSqliteTurnStore("./sessions.db");
 * await store.save("s1", turn, "post_inference");
 * await store.close();
 */
export class SqliteTurnStore implements TurnStore {
  readonly #database: DatabaseSync;
  readonly #rows: SqliteRows;
  readonly #file: string;
  readonly #mirrors = new Map<string, Mirror>();
  /** Set when the file was migrated from an older schema on open. */
  readonly migratedFrom: number | undefined;

  constructor(database: DatabaseSync, options: { file?: string } = {}) {
    this.#database = database;
    this.#rows = new SqliteRows(database);
    this.#file = options.file ?? "the session store";
    // The busy timeout first, so that every later statement (the WAL switch and the schema included) waits for a
    // second process opening the same new file instead of failing with "database is locked".
    setBusyTimeout(database);
    refuseNewer(database, this.#file); // before the WAL switch, which writes to the file
    switchToWal(database);
    const migration = ensureSchema(database, this.#file, (db) => this.#migrateV1(db));
    this.migratedFrom = migration.migratedFrom;
  }

  async save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    const mirror = this.#rows.transaction(() => this.#save(sessionId, turn, phase));
    this.#mirrors.set(sessionId, mirror);
    this.#rows.stats.saves++;
  }

  #save(sessionId: string, turn: Turn, phase: SnapshotPhase): Mirror {
    const ref = this.#rows.ref(sessionId, true)!;
    const existing = this.#rows
      .statement(
        "SELECT position, phase, block_count, metadata_json, data_json FROM geppetto_turns WHERE session_ref = ? AND turn_id = ?",
      )
      .get(ref, turn.id) as
      | { position: number; phase: string; block_count: number; metadata_json: string; data_json: string }
      | undefined;
    const session = this.#rows
      .statement("SELECT turn_count, title FROM geppetto_sessions WHERE ref = ?")
      .get(ref) as { turn_count: number; title: string };
    const position = existing?.position ?? session.turn_count + 1;
    const newest = position >= session.turn_count;
    const basePosition = existing ? position : position - 1;
    let mirror = this.#mirrors.get(sessionId);
    if (mirror && mirror.position !== basePosition) mirror = undefined;
    const base: readonly Block[] =
      mirror?.blocks ??
      (basePosition > 0
        ? readBlocksAt(this.#rows, sessionId, ref, basePosition, this.#blockCount(ref, basePosition), turn.id)
        : []);
    // Block versions of this turn extended by streaming checkpoints are written whole now (their pieces dropped).
    const pieced = existing?.phase === "streaming" ? this.#piecedAt(ref, position) : undefined;
    // A private copy of the list to diff the next save against (the caller's array is theirs to reuse).
    const kept = turn.blocks.slice();
    for (let index = 0; index < kept.length; index++) {
      const block = kept[index]!;
      const previous = base[index];
      const fold = pieced?.has(index) === true;
      // The mirror holds only blocks this store froze, so an identical object is an unchanged block.
      if (block === previous && !fold) continue;
      const json = JSON.stringify(block);
      if (!fold && previous !== undefined && previous.id === block.id && JSON.stringify(previous) === json) {
        kept[index] = previous;
        continue;
      }
      if (!newest) pinBlock(this.#rows, ref, position, index);
      this.#rows.writeBlock(ref, index, position, block, json);
      deepFreeze(block);
    }
    if (existing && newest && turn.blocks.length < existing.block_count) {
      const removed = this.#rows
        .statement(
          "DELETE FROM geppetto_blocks WHERE session_ref = ? AND turn_position = ? AND block_index >= ? RETURNING rowid",
        )
        .all(ref, position, turn.blocks.length);
      unindexRows(this.#rows.statements, removed);
    }
    if (pieced !== undefined && pieced.size > 0) {
      this.#rows
        .statement("DELETE FROM geppetto_pieces WHERE session_ref = ? AND turn_position = ?")
        .run(ref, position);
    }
    const metadataJson = JSON.stringify(withSessionId(turn, sessionId));
    const dataJson = JSON.stringify(turn.data);
    const savedAt = new Date().toISOString();
    if (existing) {
      const changed: [string, string][] = [];
      if (metadataJson !== existing.metadata_json) changed.push(["metadata_json", metadataJson]);
      if (dataJson !== existing.data_json) changed.push(["data_json", dataJson]);
      this.#rows.write(
        `UPDATE geppetto_turns SET phase = ?, saved_at = ?, block_count = ?, legacy_json = NULL${changed
          .map(([column]) => `, ${column} = ?`)
          .join("")} WHERE session_ref = ? AND position = ?`,
        phase,
        savedAt,
        turn.blocks.length,
        ...changed.map(([, value]) => value),
        ref,
        position,
      );
    } else {
      this.#rows.write(
        `INSERT INTO geppetto_turns (session_ref, position, turn_id, phase, saved_at, block_count, metadata_json, data_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ref,
        position,
        turn.id,
        phase,
        savedAt,
        turn.blocks.length,
        metadataJson,
        dataJson,
      );
    }
    const title = session.title === "" ? sessionTitle(turn) : "";
    this.#rows.write(
      `UPDATE geppetto_sessions SET updated_at = ?, turn_count = MAX(turn_count, ?)${title ? ", title = ?" : ""} WHERE ref = ?`,
      savedAt,
      position,
      ...(title ? [title] : []),
      ref,
    );
    return {
      position,
      turnId: turn.id,
      phase,
      newest,
      blocks: kept,
      metadataJson,
      dataJson,
    };
  }

  /** The block positions of the turn at `position` that have pieces. */
  #piecedAt(ref: number, position: number): Set<number> {
    const rows = this.#rows
      .statement(
        "SELECT DISTINCT block_index FROM geppetto_pieces WHERE session_ref = ? AND turn_position = ?",
      )
      .all(ref, position) as unknown as { block_index: number }[];
    return new Set(rows.map((row) => row.block_index));
  }

  /**
   * Saves a checkpoint of the answer being streamed. After the inference's first checkpoint (a whole save), one
   * writes the blocks added or changed since the previous one, the text streamed onto the others as rows of
   * `geppetto_pieces`, and the turn's row: what streamed since the previous checkpoint, not the answer so far.
   */
  async checkpoint(sessionId: string, progress: StreamProgress): Promise<void> {
    const mirror = this.#mirrors.get(sessionId);
    if (
      progress.full ||
      mirror === undefined ||
      mirror.turnId !== progress.turnId ||
      mirror.phase !== "streaming" ||
      !mirror.newest ||
      progress.firstOutputIndex > mirror.blocks.length
    ) {
      await this.save(sessionId, progress.turn, "streaming");
      return;
    }
    this.#rows.transaction(() => appendCheckpoint(this.#rows, sessionId, mirror, progress));
    this.#rows.stats.saves++;
  }

  #blockCount(ref: number, position: number): number {
    const row = this.#rows
      .statement("SELECT block_count FROM geppetto_turns WHERE session_ref = ? AND position = ?")
      .get(ref, position) as { block_count: number } | undefined;
    return row?.block_count ?? 0;
  }

  async load(sessionId: string, turnId: string): Promise<Turn | undefined> {
    const ref = this.#rows.ref(sessionId, false);
    if (ref === undefined) return undefined;
    const row = this.#rows
      .statement("SELECT * FROM geppetto_turns WHERE session_ref = ? AND turn_id = ?")
      .get(ref, turnId) as TurnRow | undefined;
    if (!row) return undefined;
    return assembleTurnRow(
      sessionId,
      row,
      readBlocksAt(this.#rows, sessionId, ref, row.position, row.block_count, turnId),
    );
  }

  async loadLatest(sessionId: string): Promise<Turn | undefined> {
    const ref = this.#rows.ref(sessionId, false);
    if (ref === undefined) return undefined;
    const row = this.#rows
      .statement("SELECT * FROM geppetto_turns WHERE session_ref = ? ORDER BY position DESC LIMIT 1")
      .get(ref) as TurnRow | undefined;
    if (!row) return undefined;
    const turn = assembleTurnRow(
      sessionId,
      row,
      readBlocksAt(this.#rows, sessionId, ref, row.position, row.block_count, row.turn_id),
    );
    this.#remember(sessionId, row, turn);
    return turn;
  }

  /** After a load, the next save diffs against the loaded (frozen) blocks by identity. */
  #remember(sessionId: string, row: TurnRow, turn: Turn): void {
    if (row.legacy_json !== null) return;
    this.#mirrors.set(sessionId, {
      position: row.position,
      turnId: row.turn_id,
      phase: row.phase,
      newest: true,
      blocks: turn.blocks.slice(),
      metadataJson: row.metadata_json,
      dataJson: row.data_json,
    });
  }

  async loadSession(sessionId: string): Promise<Turn[]> {
    const ref = this.#rows.ref(sessionId, false);
    if (ref === undefined) return [];
    const { rows, turns } = readSessionTurns(this.#rows, sessionId, ref);
    const last = rows.at(-1);
    if (last) this.#remember(sessionId, last, turns.at(-1)!);
    return turns;
  }

  async listSessions(): Promise<string[]> {
    const rows = this.#rows
      .statement("SELECT session_id FROM geppetto_sessions WHERE turn_count > 0 ORDER BY ref")
      .all() as unknown as { session_id: string }[];
    return rows.map((row) => row.session_id);
  }

  async listSessionSummaries(): Promise<SessionSummary[]> {
    const rows = this.#rows
      .statement(
        `SELECT session_id, turn_count, created_at, updated_at, title FROM geppetto_sessions
       WHERE turn_count > 0 ORDER BY updated_at DESC, ref DESC`,
      )
      .all() as unknown as SummaryRow[];
    return rows.map(toSummary);
  }

  /** Looks the folded text's trigrams up in the index (see sqlite-search.ts), then checks each block found. */
  async searchSessions(text: string, options: SessionSearchOptions = {}): Promise<SessionSearchHit[]> {
    return searchBlocks(this.#rows.statements, searchNeedle(text), options.limit ?? 50);
  }

  async listTurns(sessionId: string): Promise<SavedTurnInfo[]> {
    const ref = this.#rows.ref(sessionId, false);
    if (ref === undefined) return [];
    return this.#rows
      .statement(
        "SELECT position, turn_id, phase, saved_at FROM geppetto_turns WHERE session_ref = ? ORDER BY position",
      )
      .all(ref)
      .map((row) => {
        const turn = row as unknown as TurnRow;
        return {
          sessionId,
          turnId: turn.turn_id,
          position: turn.position,
          phase: turn.phase as SnapshotPhase,
          savedAt: turn.saved_at,
        };
      });
  }

  async fork(sessionId: string, newSessionId: string = crypto.randomUUID()): Promise<string> {
    this.#rows.transaction(() => copySessionRows(this.#rows, sessionId, newSessionId));
    return newSessionId;
  }

  async delete(sessionId: string): Promise<boolean> {
    const ref = this.#rows.ref(sessionId, false);
    if (ref === undefined) return false;
    const existed = this.#rows.transaction(() => deleteSessionRows(this.#rows, ref));
    this.#rows.forget(sessionId);
    this.#mirrors.delete(sessionId);
    return existed;
  }

  /** What this store wrote since it was opened: saves, rows inserted or updated, and the bytes of their values. */
  stats(): StoreStats {
    return { ...this.#rows.stats };
  }

  /** Test helper: replaces a turn's stored row with `json` as one document (to simulate corruption). */
  corruptForTesting(sessionId: string, turnId: string, json: string): void {
    const ref = this.#rows.ref(sessionId, false);
    this.#rows
      .statement("UPDATE geppetto_turns SET legacy_json = ? WHERE session_ref = ? AND turn_id = ?")
      .run(json, ref ?? -1, turnId);
    this.#mirrors.delete(sessionId);
  }

  /** Copies geppetto ≤ 0.1's rows into the block layout (see sqlite-migrate-v1.ts). */
  #migrateV1(database: DatabaseSync): void {
    migrateV1Rows(database, this.#rows, (sessionId, turn, phase) => {
      if (turn) this.#mirrors.set(sessionId, this.#save(sessionId, turn, phase));
      else this.#mirrors.delete(sessionId);
    });
    this.#mirrors.clear();
  }

  async close(): Promise<void> {
    if (this.#database.isOpen) this.#database.close();
  }
}

/**
 * Opens (creating if needed) a SQLite store at `path` (`":memory:"` for a throwaway one). A file written by
 * geppetto ≤ 0.1 is migrated to the current schema on open (one transaction); a file written by a newer geppetto
 * is refused with a {@link StoreSchemaError} naming it and both versions.
 *
 * @example
 * const store = await openSqliteTurnStore("./sessions.db");
 */
export async function openSqliteTurnStore(path: string): Promise<SqliteTurnStore> {
  const { DatabaseSync } = await import("node:sqlite");
  const database = new DatabaseSync(path);
  try {
    const store = new SqliteTurnStore(database, { file: path });
    if (store.migratedFrom === 1) {
      database.exec("VACUUM");
      rebuildSearchIndex(database); // VACUUM may renumber the block rows the index points to
    }
    return store;
  } catch (error) {
    database.close();
    throw error;
  }
}
