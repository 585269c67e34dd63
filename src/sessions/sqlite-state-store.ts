/**
 * A state store on SQLite: the conversation's turns go to the existing {@link SqliteTurnStore} (each block stored
 * once, a save writes what the turn added or changed), and one row per conversation in
 * `geppetto_conversation_states` holds the envelope (user, variables, metadata) and points at the saved turn.
 * The turn is written first and the row after it, so a crash between the two leaves the previous state whole.
 * `node:sqlite` and the turn store's modules are loaded only when a store is opened.
 */
import type { DatabaseSync } from "node:sqlite";
import type { SqliteTurnStore } from "../session/sqlite-turn-store.ts";
import type { JsonObject } from "../turns/json.ts";
import {
  type ConversationState,
  CorruptStateError,
  checkFork,
  emptyTurn,
  frozenState,
  type StateStore,
} from "./state-store.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS geppetto_conversation_states (
  conversation_id TEXT PRIMARY KEY,
  turn_id TEXT NOT NULL,
  user_id TEXT,
  variables_json TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  updated_at TEXT NOT NULL
)`;

interface StateRow {
  conversation_id: string;
  turn_id: string;
  user_id: string | null;
  variables_json: string;
  metadata_json: string;
  updated_at: string;
}

/**
 * Conversation states in a SQLite file (shared with the session TurnStore's tables). Open it with
 * {@link SqliteStateStore.open}.
 *
 * @example
 * const store = await SqliteStateStore.open("./conversations.db");
 * const session = await UnarySession.open({ engine, stateStore: store });
 * await store.close();
 */
export class SqliteStateStore implements StateStore {
  readonly #database: DatabaseSync;
  readonly #turns: SqliteTurnStore;
  readonly #file: string;

  private constructor(database: DatabaseSync, file: string, TurnStore: typeof SqliteTurnStore) {
    this.#database = database;
    this.#file = file;
    this.#turns = new TurnStore(database, { file });
    database.exec(SCHEMA);
  }

  /** Opens (or creates) the store in `file` (`:memory:` for a private in-memory database). */
  static async open(file: string): Promise<SqliteStateStore> {
    const [{ DatabaseSync }, { SqliteTurnStore }] = await Promise.all([
      import("node:sqlite"),
      import("../session/sqlite-turn-store.ts"),
    ]);
    const database = new DatabaseSync(file);
    try {
      return new SqliteStateStore(database, file, SqliteTurnStore);
    } catch (error) {
      database.close();
      throw error;
    }
  }

  #row(conversationId: string): StateRow | undefined {
    return this.#database
      .prepare("SELECT * FROM geppetto_conversation_states WHERE conversation_id = ?")
      .get(conversationId) as StateRow | undefined;
  }

  #json(row: StateRow, column: "variables_json" | "metadata_json"): JsonObject {
    try {
      const value: unknown = JSON.parse(row[column]);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as JsonObject;
    } catch (error) {
      throw new CorruptStateError(
        row.conversation_id,
        `${this.#file} (${column})`,
        (error as Error).message,
        error,
      );
    }
    throw new CorruptStateError(row.conversation_id, `${this.#file} (${column})`, "not a JSON object");
  }

  async load(conversationId: string): Promise<ConversationState | undefined> {
    const row = this.#row(conversationId);
    if (!row) return undefined;
    const turn =
      (await this.#turns.load(conversationId, row.turn_id)) ??
      (row.turn_id === conversationId ? emptyTurn(conversationId) : undefined);
    if (!turn) throw new CorruptStateError(conversationId, this.#file, `turn ${row.turn_id} is missing`);
    const state: ConversationState = {
      conversationId,
      turn,
      variables: this.#json(row, "variables_json") as Record<string, string>,
      metadata: this.#json(row, "metadata_json"),
      updatedAt: row.updated_at,
    };
    if (row.user_id !== null) state.userId = row.user_id;
    return frozenState(state);
  }

  async save(state: ConversationState): Promise<void> {
    const frozen = frozenState(state, new Date().toISOString());
    if (frozen.turn.blocks.length > 0 || frozen.turn.id !== frozen.conversationId)
      await this.#turns.save(frozen.conversationId, frozen.turn, "final");
    this.#database
      .prepare(
        `INSERT INTO geppetto_conversation_states (conversation_id, turn_id, user_id, variables_json, metadata_json, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (conversation_id) DO UPDATE SET turn_id = excluded.turn_id, user_id = excluded.user_id,
           variables_json = excluded.variables_json, metadata_json = excluded.metadata_json, updated_at = excluded.updated_at`,
      )
      .run(
        frozen.conversationId,
        frozen.turn.id,
        frozen.userId ?? null,
        JSON.stringify(frozen.variables),
        JSON.stringify(frozen.metadata),
        frozen.updatedAt!,
      );
  }

  async fork(sourceId: string, newId: string): Promise<void> {
    const source = this.#row(sourceId);
    checkFork(sourceId, newId, source !== undefined, this.#row(newId) !== undefined);
    await this.#turns.delete(newId);
    await this.#turns.fork(sourceId, newId);
    this.#database
      .prepare(
        `INSERT INTO geppetto_conversation_states (conversation_id, turn_id, user_id, variables_json, metadata_json, updated_at)
         SELECT ?, CASE WHEN turn_id = conversation_id THEN ? ELSE turn_id END, user_id, variables_json, metadata_json, updated_at
         FROM geppetto_conversation_states WHERE conversation_id = ?`,
      )
      .run(newId, newId, sourceId);
  }

  async delete(conversationId: string): Promise<boolean> {
    await this.#turns.delete(conversationId);
    const result = this.#database
      .prepare("DELETE FROM geppetto_conversation_states WHERE conversation_id = ?")
      .run(conversationId);
    return Number(result.changes) > 0;
  }

  async list(): Promise<string[]> {
    const rows = this.#database.prepare("SELECT conversation_id FROM geppetto_conversation_states").all() as {
      conversation_id: string;
    }[];
    return rows.map((row) => row.conversation_id);
  }

  async close(): Promise<void> {
    await this.#turns.close();
  }
}
