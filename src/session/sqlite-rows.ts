/**
 * The SQLite store's access to its file: prepared statements cached by SQL text, transactions (`BEGIN
 * IMMEDIATE`), session refs, and the writes counted into the store's stats (rows and bytes), block versions
 * written together with their search index row.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Block } from "../turns/types.ts";
import { immediateTransaction } from "./sqlite-busy.ts";
import { indexBlockRow } from "./sqlite-search.ts";
import { type StoreStats, searchableText } from "./turn-store.ts";

/**
 * One open database as the store uses it.
 *
 * @example
 * const rows = new SqliteRows(database);
 * rows.transaction(() => rows.write("UPDATE geppetto_sessions SET title = ? WHERE ref = ?", "hi", 1));
 */
export class SqliteRows {
  readonly database: DatabaseSync;
  readonly stats: StoreStats = { saves: 0, rowsWritten: 0, bytesWritten: 0 };
  readonly #refs = new Map<string, number>();
  readonly #statements = new Map<string, StatementSync>();
  /** The statement cache as a function (what the search and copy helpers take). */
  readonly statements = (sql: string): StatementSync => this.statement(sql);

  constructor(database: DatabaseSync) {
    this.database = database;
  }

  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.database.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  transaction<T>(action: () => T): T {
    return immediateTransaction(this.database, action);
  }

  /** The session's ref (its row's key), created when `create` is set; undefined when absent. */
  ref(sessionId: string, create: boolean): number | undefined {
    const known = this.#refs.get(sessionId);
    if (known !== undefined) return known;
    const row = this.statement("SELECT ref FROM geppetto_sessions WHERE session_id = ?").get(sessionId) as
      | { ref: number }
      | undefined;
    if (row) {
      this.#refs.set(sessionId, row.ref);
      return row.ref;
    }
    if (!create) return undefined;
    const now = new Date().toISOString();
    const result = this.statement(
      "INSERT INTO geppetto_sessions (session_id, created_at, updated_at) VALUES (?, ?, ?)",
    ).run(sessionId, now, now);
    const ref = Number(result.lastInsertRowid);
    this.#refs.set(sessionId, ref);
    return ref;
  }

  /** Forgets a deleted session's ref. */
  forget(sessionId: string): void {
    this.#refs.delete(sessionId);
  }

  #count(values: readonly (string | number | null)[]): void {
    this.stats.rowsWritten++;
    for (const value of values) this.stats.bytesWritten += typeof value === "string" ? value.length : 8;
  }

  /** Runs one writing statement, counted. */
  write(sql: string, ...values: (string | number | null)[]): void {
    this.statement(sql).run(...values);
    this.#count(values);
  }

  /** Writes (inserts or replaces) one block version and its search index row, counted. */
  writeBlock(ref: number, index: number, position: number, block: Block, json: string): void {
    const values = [ref, index, position, json];
    const row = this.statement(
      `INSERT INTO geppetto_blocks (session_ref, block_index, turn_position, block_json) VALUES (?, ?, ?, ?)
       ON CONFLICT (session_ref, block_index, turn_position) DO UPDATE SET block_json = excluded.block_json
       RETURNING rowid`,
    ).get(...values) as { rowid: number };
    indexBlockRow(this.statements, row.rowid, searchableText(block));
    this.#count(values);
  }
}
