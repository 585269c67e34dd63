/**
 * The unary/duplex sessions' state store on PostgreSQL: the conversation's turns go to the
 * {@link PostgresTurnStore} (each block stored once, a save writes what the turn added or changed), and one row per
 * conversation in `geppetto_conversation_states` holds the envelope (user, variables, metadata) and points at the
 * saved turn. The turn is written first and the row after it, so a crash between the two leaves the previous
 * state whole.
 */
import {
  type ConversationState,
  CorruptStateError,
  checkFork,
  emptyTurn,
  frozenState,
  type StateStore,
} from "../../sessions/state-store.ts";
import type { JsonObject } from "../../turns/json.ts";
import {
  connectPostgres,
  migrateSchema,
  type PostgresConnection,
  type PostgresTarget,
  type Sql,
} from "./connection.ts";
import { TURNS_MIGRATIONS } from "./turn-schema.ts";
import { PostgresTurnStore } from "./turn-store.ts";

/** `migrations[n]` takes the conversation-state schema from version n to n + 1. */
export const STATE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE geppetto_conversation_states (
     conversation_id TEXT PRIMARY KEY,
     turn_id         TEXT NOT NULL,
     user_id         TEXT,
     variables_json  TEXT NOT NULL,
     metadata_json   TEXT NOT NULL,
     updated_at      TIMESTAMPTZ NOT NULL
   );`,
];

interface StateRow {
  conversation_id: string;
  turn_id: string;
  user_id: string | null;
  variables_json: string;
  metadata_json: string;
  updated_at: Date;
}

/**
 * Conversation states in PostgreSQL (beside the turn store's tables). Open it with {@link openPostgresStateStore}.
 *
 * @example
 * const store = await openPostgresStateStore({ url: process.env.DATABASE_URL! });
 * const session = await UnarySession.open({ engine, stateStore: store });
 */
export class PostgresStateStore implements StateStore {
  readonly #connection: PostgresConnection;
  readonly #sql: Sql;
  readonly #turns: PostgresTurnStore;

  /** Use {@link openPostgresStateStore}. */
  constructor(connection: PostgresConnection) {
    this.#connection = connection;
    this.#sql = connection.sql;
    this.#turns = new PostgresTurnStore({ ...connection, end: async () => {} });
  }

  async #row(conversationId: string): Promise<StateRow | undefined> {
    const [row] = await this.#sql<StateRow[]>`
      SELECT * FROM geppetto_conversation_states WHERE conversation_id = ${conversationId}`;
    return row;
  }

  #json(row: StateRow, column: "variables_json" | "metadata_json"): JsonObject {
    const where = `${this.#connection.where} (${column})`;
    let value: unknown;
    try {
      value = JSON.parse(row[column]);
    } catch (error) {
      throw new CorruptStateError(row.conversation_id, where, (error as Error).message, error);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new CorruptStateError(row.conversation_id, where, "not a JSON object");
    }
    return value as JsonObject;
  }

  async load(conversationId: string): Promise<ConversationState | undefined> {
    const row = await this.#row(conversationId);
    if (!row) return undefined;
    const turn =
      (await this.#turns.load(conversationId, row.turn_id)) ??
      (row.turn_id === conversationId ? emptyTurn(conversationId) : undefined);
    if (!turn) {
      throw new CorruptStateError(conversationId, this.#connection.where, `turn ${row.turn_id} is missing`);
    }
    const state: ConversationState = {
      conversationId,
      turn,
      variables: this.#json(row, "variables_json") as Record<string, string>,
      metadata: this.#json(row, "metadata_json"),
      updatedAt: row.updated_at.toISOString(),
    };
    if (row.user_id !== null) state.userId = row.user_id;
    return frozenState(state);
  }

  async save(state: ConversationState): Promise<void> {
    const frozen = frozenState(state, new Date().toISOString());
    if (frozen.turn.blocks.length > 0 || frozen.turn.id !== frozen.conversationId)
      await this.#turns.save(frozen.conversationId, frozen.turn, "final");
    await this.#sql`INSERT INTO geppetto_conversation_states
        (conversation_id, turn_id, user_id, variables_json, metadata_json, updated_at)
      VALUES (${frozen.conversationId}, ${frozen.turn.id}, ${frozen.userId ?? null}, ${JSON.stringify(frozen.variables)},
        ${JSON.stringify(frozen.metadata)}, ${new Date(frozen.updatedAt!)})
      ON CONFLICT (conversation_id) DO UPDATE SET turn_id = excluded.turn_id, user_id = excluded.user_id,
        variables_json = excluded.variables_json, metadata_json = excluded.metadata_json,
        updated_at = excluded.updated_at`;
  }

  async fork(sourceId: string, newId: string): Promise<void> {
    const source = await this.#row(sourceId);
    checkFork(sourceId, newId, source !== undefined, (await this.#row(newId)) !== undefined);
    await this.#turns.delete(newId);
    await this.#turns.fork(sourceId, newId);
    await this.#sql`INSERT INTO geppetto_conversation_states
        (conversation_id, turn_id, user_id, variables_json, metadata_json, updated_at)
      SELECT ${newId}, CASE WHEN turn_id = conversation_id THEN ${newId} ELSE turn_id END, user_id, variables_json,
        metadata_json, updated_at
      FROM geppetto_conversation_states WHERE conversation_id = ${sourceId}`;
  }

  async delete(conversationId: string): Promise<boolean> {
    await this.#turns.delete(conversationId);
    const rows = await this.#sql`
      DELETE FROM geppetto_conversation_states WHERE conversation_id = ${conversationId} RETURNING 1`;
    return rows.length > 0;
  }

  async list(): Promise<string[]> {
    const rows = await this.#sql<{ conversation_id: string }[]>`
      SELECT conversation_id FROM geppetto_conversation_states`;
    return rows.map((row) => row.conversation_id);
  }

  /** Ends the connection pool (when the store opened it). */
  async close(): Promise<void> {
    await this.#connection.end();
  }
}

/**
 * Opens the state store on PostgreSQL, creating or migrating its tables (and the turn store's) on open, under
 * the advisory lock every geppetto store takes.
 *
 * @example
 * const store = await openPostgresStateStore({ url: "postgres://app@db:5432/app" });
 */
export async function openPostgresStateStore(target: PostgresTarget): Promise<PostgresStateStore> {
  const connection = await connectPostgres(target);
  try {
    await migrateSchema(connection.sql, "turns", TURNS_MIGRATIONS, connection.where);
    await migrateSchema(connection.sql, "states", STATE_MIGRATIONS, connection.where);
  } catch (error) {
    await connection.end();
    throw error;
  }
  return new PostgresStateStore(connection);
}
