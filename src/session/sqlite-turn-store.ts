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
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { StreamProgress } from "../engine/checkpoint.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import { deepFreeze } from "../turns/immutable.ts";
import type { JsonObject } from "../turns/json.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import { turnFromJson } from "../turns/serialization.ts";
import type { Block, Turn } from "../turns/types.ts";
import { ensureSchema, refuseNewer } from "./sqlite-schema.ts";
import {
  indexBlockRow,
  indexCopiedRows,
  rebuildSearchIndex,
  searchBlocks,
  unindexRows,
} from "./sqlite-search.ts";
import { foldPieces, groupPieces, type PieceRow, type PieceTexts } from "./stored-pieces.ts";
import {
  assembleTurn,
  decodeStoredBlock,
  decodeStoredObject,
  decodeStoredTurn,
  type SavedTurnInfo,
  type SessionSearchHit,
  type SessionSearchOptions,
  type SessionSummary,
  type StoreStats,
  searchableText,
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

interface TurnRow {
  position: number;
  turn_id: string;
  phase: string;
  saved_at: string;
  block_count: number;
  metadata_json: string;
  data_json: string;
  legacy_json: string | null;
}

interface BlockRow {
  block_index: number;
  turn_position: number;
  block_json: string;
}

/** What the store remembers of a session's last save, to diff the next one against. */
interface Mirror {
  position: number;
  turnId: string;
  phase: string;
  /** The turn was the session's newest when saved (a checkpoint of an older turn is saved whole). */
  newest: boolean;
  blocks: Block[];
  metadataJson: string;
  dataJson: string;
}

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
  readonly #file: string;
  readonly #refs = new Map<string, number>();
  readonly #mirrors = new Map<string, Mirror>();
  readonly #statements = new Map<string, StatementSync>();
  readonly #stats: StoreStats = { saves: 0, rowsWritten: 0, bytesWritten: 0 };
  /** Set when the file was migrated from an older schema on open. */
  readonly migratedFrom: number | undefined;

  constructor(database: DatabaseSync, options: { file?: string } = {}) {
    this.#database = database;
    this.#file = options.file ?? "the session store";
    // The busy timeout first, so that every later statement (the WAL switch and the schema included) waits for a
    // second process opening the same new file instead of failing with "database is locked".
    database.exec("PRAGMA busy_timeout = 5000");
    refuseNewer(database, this.#file); // before the WAL switch, which writes to the file
    this.#retryBusy(() => database.exec("PRAGMA journal_mode = WAL"));
    database.exec("PRAGMA synchronous = NORMAL");
    const migration = ensureSchema(database, this.#file, (db) => this.#migrateV1(db));
    this.migratedFrom = migration.migratedFrom;
  }

  #retryBusy(action: () => void): void {
    for (let attempt = 1; ; attempt++) {
      try {
        action();
        return;
      } catch (error) {
        const busy = /locked|busy/i.test(error instanceof Error ? error.message : String(error));
        if (!busy || attempt >= 50) throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 * attempt);
      }
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#database.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #transaction<T>(action: () => T): T {
    this.#database.exec("BEGIN IMMEDIATE");
    try {
      const result = action();
      this.#database.exec("COMMIT");
      return result;
    } catch (error) {
      this.#database.exec("ROLLBACK");
      throw error;
    }
  }

  #ref(sessionId: string, create: boolean): number | undefined {
    const known = this.#refs.get(sessionId);
    if (known !== undefined) return known;
    const row = this.#statement("SELECT ref FROM geppetto_sessions WHERE session_id = ?").get(sessionId) as
      | { ref: number }
      | undefined;
    if (row) {
      this.#refs.set(sessionId, row.ref);
      return row.ref;
    }
    if (!create) return undefined;
    const now = new Date().toISOString();
    const result = this.#statement(
      "INSERT INTO geppetto_sessions (session_id, created_at, updated_at) VALUES (?, ?, ?)",
    ).run(sessionId, now, now);
    const ref = Number(result.lastInsertRowid);
    this.#refs.set(sessionId, ref);
    return ref;
  }

  #count(value: string | number | null): number {
    return typeof value === "string" ? value.length : 8;
  }

  #write(sql: string, ...values: (string | number | null)[]): void {
    this.#statement(sql).run(...values);
    this.#stats.rowsWritten++;
    for (const value of values) this.#stats.bytesWritten += this.#count(value);
  }

  /** Writes (inserts or replaces) one block version and its search index row. */
  #writeBlock(ref: number, index: number, position: number, block: Block, json: string): void {
    const values = [ref, index, position, json];
    const row = this.#statement(
      `INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json) VALUES (?, ?, ?, ?)
       ON CONFLICT (session_ref, block_index, turn_position) DO UPDATE SET block_json = excluded.block_json
       RETURNING rowid`,
    ).get(...values) as { rowid: number };
    indexBlockRow((sql) => this.#statement(sql), row.rowid, searchableText(block));
    this.#stats.rowsWritten++;
    for (const value of values) this.#stats.bytesWritten += this.#count(value);
  }

  /** The blocks of the turn at `position` (0 when none), decoded from the rows; `count` caps the positions. */
  #blocksAt(sessionId: string, ref: number, position: number, count: number, turnId: string): Block[] {
    const rows = this.#statement(
      `SELECT block_index, turn_position, block_json FROM geppetto_blocks
       WHERE session_ref = ? AND turn_position <= ? AND block_index < ? ORDER BY block_index, turn_position`,
    ).all(ref, position, count) as unknown as BlockRow[];
    const pieces = this.#pieces(ref, position);
    const blocks: Block[] = [];
    for (let at = 0; at < rows.length; at++) {
      const row = rows[at]!;
      if (rows[at + 1]?.block_index === row.block_index) continue; // a later version of this block follows
      blocks[row.block_index] = this.#decodeBlock(sessionId, turnId, row, pieces);
    }
    return blocks;
  }

  /** A stored block version with the text its pieces appended (streaming checkpoints). */
  #decodeBlock(sessionId: string, turnId: string, row: BlockRow, pieces: PieceTexts): Block {
    const block = decodeStoredBlock(row.block_json, {
      sessionId,
      turnId,
      column: `block_json (block ${row.block_index}, written by turn ${row.turn_position})`,
    });
    return foldPieces(block, pieces, row.block_index, row.turn_position);
  }

  /** The pieces (streaming checkpoints) of the session's block versions written by turns up to `position`. */
  #pieces(ref: number, position: number): PieceTexts {
    return groupPieces(
      this.#statement(
        "SELECT block_index, turn_position, text FROM geppetto_pieces WHERE session_ref = ? AND turn_position <= ? ORDER BY seq",
      ).all(ref, position) as unknown as PieceRow[],
    );
  }

  async save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    const mirror = this.#transaction(() => this.#save(sessionId, turn, phase));
    this.#mirrors.set(sessionId, mirror);
    this.#stats.saves++;
  }

  #save(sessionId: string, turn: Turn, phase: SnapshotPhase): Mirror {
    const ref = this.#ref(sessionId, true)!;
    const existing = this.#statement(
      "SELECT position, phase, block_count, metadata_json, data_json FROM geppetto_turns WHERE session_ref = ? AND turn_id = ?",
    ).get(ref, turn.id) as
      | { position: number; phase: string; block_count: number; metadata_json: string; data_json: string }
      | undefined;
    const session = this.#statement("SELECT turn_count, title FROM geppetto_sessions WHERE ref = ?").get(
      ref,
    ) as { turn_count: number; title: string };
    const position = existing?.position ?? session.turn_count + 1;
    const newest = position >= session.turn_count;
    const basePosition = existing ? position : position - 1;
    let mirror = this.#mirrors.get(sessionId);
    if (mirror && mirror.position !== basePosition) mirror = undefined;
    const base: readonly Block[] =
      mirror?.blocks ??
      (basePosition > 0
        ? this.#blocksAt(sessionId, ref, basePosition, this.#blockCount(ref, basePosition), turn.id)
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
      if (!newest) this.#pin(ref, position, index);
      this.#writeBlock(ref, index, position, block, json);
      deepFreeze(block);
    }
    if (existing && newest && turn.blocks.length < existing.block_count) {
      const removed = this.#statement(
        "DELETE FROM geppetto_blocks WHERE session_ref = ? AND turn_position = ? AND block_index >= ? RETURNING rowid",
      ).all(ref, position, turn.blocks.length);
      unindexRows((sql) => this.#statement(sql), removed);
    }
    if (pieced !== undefined && pieced.size > 0) {
      this.#statement("DELETE FROM geppetto_pieces WHERE session_ref = ? AND turn_position = ?").run(
        ref,
        position,
      );
    }
    const metadataJson = JSON.stringify(withSessionId(turn, sessionId));
    const dataJson = JSON.stringify(turn.data);
    const savedAt = new Date().toISOString();
    if (existing) {
      const changed: [string, string][] = [];
      if (metadataJson !== existing.metadata_json) changed.push(["metadata_json", metadataJson]);
      if (dataJson !== existing.data_json) changed.push(["data_json", dataJson]);
      this.#write(
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
      this.#write(
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
    this.#write(
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
    const rows = this.#statement(
      "SELECT DISTINCT block_index FROM geppetto_pieces WHERE session_ref = ? AND turn_position = ?",
    ).all(ref, position) as unknown as { block_index: number }[];
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
    this.#transaction(() => this.#append(sessionId, mirror, progress));
    this.#stats.saves++;
  }

  #append(sessionId: string, mirror: Mirror, progress: StreamProgress): void {
    const ref = this.#ref(sessionId, true)!;
    const position = mirror.position;
    for (const { index, block } of progress.changed) {
      // Written whole: any text appended to this version before is in it now.
      this.#statement(
        "DELETE FROM geppetto_pieces WHERE session_ref = ? AND turn_position = ? AND block_index = ?",
      ).run(ref, position, index);
      this.#writeBlock(ref, index, position, block, JSON.stringify(block));
      mirror.blocks[index] = deepFreeze(block);
    }
    for (const { index, text } of progress.appended) {
      this.#write(
        "INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text) VALUES (?, ?, ?, ?)",
        ref,
        index,
        position,
        text,
      );
    }
    const metadataJson = JSON.stringify({ ...progress.metadata, [KeyTurnMetaSessionId.id]: sessionId });
    const dataJson = JSON.stringify(progress.data);
    const changed: [string, string][] = [];
    if (metadataJson !== mirror.metadataJson) changed.push(["metadata_json", metadataJson]);
    if (dataJson !== mirror.dataJson) changed.push(["data_json", dataJson]);
    const savedAt = new Date().toISOString();
    this.#write(
      `UPDATE geppetto_turns SET phase = 'streaming', saved_at = ?, block_count = ?${changed
        .map(([column]) => `, ${column} = ?`)
        .join("")} WHERE session_ref = ? AND position = ?`,
      savedAt,
      progress.blockCount,
      ...changed.map(([, value]) => value),
      ref,
      position,
    );
    this.#write("UPDATE geppetto_sessions SET updated_at = ? WHERE ref = ?", savedAt, ref);
    mirror.metadataJson = metadataJson;
    mirror.dataJson = dataJson;
  }

  #blockCount(ref: number, position: number): number {
    const row = this.#statement(
      "SELECT block_count FROM geppetto_turns WHERE session_ref = ? AND position = ?",
    ).get(ref, position) as { block_count: number } | undefined;
    return row?.block_count ?? 0;
  }

  /**
   * Before an older turn changes its block at `index`, the next turn gets its own copy of the block it inherited
   * from there, so that changing an older turn never changes a newer one.
   */
  #pin(ref: number, position: number, index: number): void {
    const pinned = this.#statement(
      `INSERT OR IGNORE INTO geppetto_blocks (session_ref, block_index, turn_position, block_json)
       SELECT session_ref, block_index, ?2 + 1, block_json FROM geppetto_blocks
       WHERE session_ref = ?1 AND block_index = ?3 AND turn_position <= ?2
         AND ?3 < (SELECT block_count FROM geppetto_turns WHERE session_ref = ?1 AND position = ?2 + 1)
       ORDER BY turn_position DESC LIMIT 1 RETURNING rowid, block_json`,
    ).all(ref, position, index);
    if (pinned.length === 0) return;
    indexCopiedRows((sql) => this.#statement(sql), pinned);
    // The copy takes the pieces (streaming checkpoints) of the version it copied.
    this.#statement(
      `INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text)
       SELECT session_ref, block_index, ?2 + 1, text FROM geppetto_pieces
       WHERE session_ref = ?1 AND block_index = ?3 AND turn_position = (SELECT MAX(turn_position)
         FROM geppetto_blocks WHERE session_ref = ?1 AND block_index = ?3 AND turn_position <= ?2)
       ORDER BY seq`,
    ).run(ref, position, index);
  }

  #turnRows(ref: number): TurnRow[] {
    return this.#statement("SELECT * FROM geppetto_turns WHERE session_ref = ? ORDER BY position").all(
      ref,
    ) as unknown as TurnRow[];
  }

  #assemble(sessionId: string, row: TurnRow, blocks: readonly Block[]): Turn {
    const where = { sessionId, turnId: row.turn_id, phase: row.phase };
    if (row.legacy_json !== null) return decodeStoredTurn(row.legacy_json, where);
    const metadata = decodeStoredObject(row.metadata_json, { ...where, column: "metadata_json" });
    const data = decodeStoredObject(row.data_json, { ...where, column: "data_json" });
    return assembleTurn(row.turn_id, blocks.slice(0, row.block_count), metadata, data, where);
  }

  async load(sessionId: string, turnId: string): Promise<Turn | undefined> {
    const ref = this.#ref(sessionId, false);
    if (ref === undefined) return undefined;
    const row = this.#statement("SELECT * FROM geppetto_turns WHERE session_ref = ? AND turn_id = ?").get(
      ref,
      turnId,
    ) as TurnRow | undefined;
    if (!row) return undefined;
    return this.#assemble(
      sessionId,
      row,
      this.#blocksAt(sessionId, ref, row.position, row.block_count, turnId),
    );
  }

  async loadLatest(sessionId: string): Promise<Turn | undefined> {
    const ref = this.#ref(sessionId, false);
    if (ref === undefined) return undefined;
    const row = this.#statement(
      "SELECT * FROM geppetto_turns WHERE session_ref = ? ORDER BY position DESC LIMIT 1",
    ).get(ref) as TurnRow | undefined;
    if (!row) return undefined;
    const turn = this.#assemble(
      sessionId,
      row,
      this.#blocksAt(sessionId, ref, row.position, row.block_count, row.turn_id),
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
    const ref = this.#ref(sessionId, false);
    if (ref === undefined) return [];
    const rows = this.#turnRows(ref);
    const blockRows = this.#statement(
      "SELECT block_index, turn_position, block_json FROM geppetto_blocks WHERE session_ref = ? ORDER BY turn_position, block_index",
    ).all(ref) as unknown as BlockRow[];
    const pieces = this.#pieces(ref, Number.MAX_SAFE_INTEGER);
    const current: Block[] = [];
    const turns: Turn[] = [];
    let next = 0;
    for (const row of rows) {
      for (; next < blockRows.length && blockRows[next]!.turn_position <= row.position; next++) {
        const blockRow = blockRows[next]!;
        current[blockRow.block_index] = this.#decodeBlock(sessionId, row.turn_id, blockRow, pieces);
      }
      turns.push(this.#assemble(sessionId, row, current));
    }
    const last = rows.at(-1);
    if (last) this.#remember(sessionId, last, turns.at(-1)!);
    return turns;
  }

  async listSessions(): Promise<string[]> {
    const rows = this.#statement(
      "SELECT session_id FROM geppetto_sessions WHERE turn_count > 0 ORDER BY ref",
    ).all() as unknown as { session_id: string }[];
    return rows.map((row) => row.session_id);
  }

  async listSessionSummaries(): Promise<SessionSummary[]> {
    const rows = this.#statement(
      `SELECT session_id, turn_count, created_at, updated_at, title FROM geppetto_sessions
       WHERE turn_count > 0 ORDER BY updated_at DESC, ref DESC`,
    ).all() as unknown as SummaryRow[];
    return rows.map(toSummary);
  }

  /** Looks the folded text's trigrams up in the index (see sqlite-search.ts), then checks each block found. */
  async searchSessions(text: string, options: SessionSearchOptions = {}): Promise<SessionSearchHit[]> {
    return searchBlocks((sql) => this.#statement(sql), searchNeedle(text), options.limit ?? 50);
  }

  async listTurns(sessionId: string): Promise<SavedTurnInfo[]> {
    const ref = this.#ref(sessionId, false);
    if (ref === undefined) return [];
    return this.#statement(
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
    this.#transaction(() => {
      if (this.#ref(newSessionId, false) !== undefined)
        throw new TypeError(`session ${newSessionId} already exists`);
      const from = this.#ref(sessionId, false);
      const to = this.#ref(newSessionId, true)!;
      if (from === undefined) return;
      const key = KeyTurnMetaSessionId.id;
      this.#statement(
        `UPDATE geppetto_sessions SET (turn_count, title, updated_at) =
           (SELECT turn_count, title, updated_at FROM geppetto_sessions WHERE ref = ?) WHERE ref = ?`,
      ).run(from, to);
      this.#statement(
        `INSERT INTO geppetto_turns (session_ref, position, turn_id, phase, saved_at, block_count, metadata_json, data_json, legacy_json)
         SELECT ?, position, turn_id, phase, saved_at, block_count,
           CASE WHEN json_valid(metadata_json) THEN json_set(metadata_json, '$."${key}"', ?) ELSE metadata_json END,
           data_json, legacy_json
         FROM geppetto_turns WHERE session_ref = ?`,
      ).run(to, newSessionId, from);
      const copied = this.#statement(
        `INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json)
         SELECT ?, block_index, turn_position, block_json FROM geppetto_blocks WHERE session_ref = ?
         RETURNING rowid, block_json`,
      ).all(to, from);
      indexCopiedRows((sql) => this.#statement(sql), copied);
      this.#statement(
        `INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text)
         SELECT ?, block_index, turn_position, text FROM geppetto_pieces WHERE session_ref = ? ORDER BY seq`,
      ).run(to, from);
    });
    return newSessionId;
  }

  async delete(sessionId: string): Promise<boolean> {
    const ref = this.#ref(sessionId, false);
    if (ref === undefined) return false;
    const existed = this.#transaction(() => {
      const removed = this.#statement(
        "DELETE FROM geppetto_blocks WHERE session_ref = ? RETURNING rowid",
      ).all(ref);
      unindexRows((sql) => this.#statement(sql), removed);
      this.#statement("DELETE FROM geppetto_pieces WHERE session_ref = ?").run(ref);
      const turns = this.#statement("DELETE FROM geppetto_turns WHERE session_ref = ?").run(ref);
      this.#statement("DELETE FROM geppetto_sessions WHERE ref = ?").run(ref);
      return Number(turns.changes) > 0;
    });
    this.#refs.delete(sessionId);
    this.#mirrors.delete(sessionId);
    return existed;
  }

  /** What this store wrote since it was opened: saves, rows inserted or updated, and the bytes of their values. */
  stats(): StoreStats {
    return { ...this.#stats };
  }

  /** Test helper: replaces a turn's stored row with `json` as one document (to simulate corruption). */
  corruptForTesting(sessionId: string, turnId: string, json: string): void {
    const ref = this.#ref(sessionId, false);
    this.#statement("UPDATE geppetto_turns SET legacy_json = ? WHERE session_ref = ? AND turn_id = ?").run(
      json,
      ref ?? -1,
      turnId,
    );
    this.#mirrors.delete(sessionId);
  }

  /** Copies geppetto ≤ 0.1's rows (a whole turn's JSON per row) into the block layout, session by session. */
  #migrateV1(database: DatabaseSync): void {
    const sessions = database
      .prepare("SELECT session_id FROM geppetto_turns_v1 GROUP BY session_id ORDER BY MIN(rowid)")
      .all() as unknown as { session_id: string }[];
    const rows = database.prepare(
      "SELECT turn_id, phase, saved_at, turn_json FROM geppetto_turns_v1 WHERE session_id = ? ORDER BY position",
    );
    for (const { session_id: sessionId } of sessions) {
      for (const row of rows.all(sessionId) as unknown as {
        turn_id: string;
        phase: string;
        saved_at: string;
        turn_json: string;
      }[]) {
        let turn: Turn | undefined;
        try {
          turn = turnFromJson(row.turn_json);
        } catch {
          turn = undefined;
        }
        if (turn && turn.id === row.turn_id) {
          this.#mirrors.set(sessionId, this.#save(sessionId, turn, row.phase as SnapshotPhase));
        } else {
          // Kept as it was: loading this turn names it as corrupt; the session's other turns stay readable.
          const ref = this.#ref(sessionId, true)!;
          const position = this.#turnCount(ref) + 1;
          this.#statement(
            `INSERT INTO geppetto_turns (session_ref, position, turn_id, phase, saved_at, block_count, metadata_json, data_json, legacy_json)
               VALUES (?, ?, ?, ?, ?, 0, '{}', '{}', ?)`,
          ).run(ref, position, row.turn_id, row.phase, row.saved_at, row.turn_json);
          this.#statement("UPDATE geppetto_sessions SET turn_count = ? WHERE ref = ?").run(position, ref);
          this.#mirrors.delete(sessionId);
        }
        this.#statement("UPDATE geppetto_turns SET saved_at = ? WHERE session_ref = ? AND turn_id = ?").run(
          row.saved_at,
          this.#ref(sessionId, false)!,
          row.turn_id,
        );
      }
      this.#statement(
        "UPDATE geppetto_sessions SET updated_at = (SELECT MAX(saved_at) FROM geppetto_turns WHERE session_ref = ref), created_at = (SELECT MIN(saved_at) FROM geppetto_turns WHERE session_ref = ref) WHERE session_id = ?",
      ).run(sessionId);
    }
    this.#mirrors.clear();
  }

  #turnCount(ref: number): number {
    const row = this.#statement("SELECT turn_count FROM geppetto_sessions WHERE ref = ?").get(ref) as {
      turn_count: number;
    };
    return row.turn_count;
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
