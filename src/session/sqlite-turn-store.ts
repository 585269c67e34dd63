/**
 * A TurnStore on SQLite, using Node's built-in `node:sqlite` (Node ≥ 22.13 / 24).
 *
 * Why `node:sqlite` and not `better-sqlite3`: it ships with Node, so there is no native addon to compile or
 * download, no prebuilt-binary mismatch across Node versions, and nothing to install; the API is the same
 * synchronous style. It is loaded lazily (only when you open a store), so importing geppetto never loads it.
 *
 * Durability: WAL journal, `synchronous = NORMAL` (a committed save survives a killed process; only a power
 * loss can drop the last few commits), and every save is one atomic statement, every fork one transaction, so
 * a reader never sees a torn turn: it sees the previous save or the new one.
 */
import type { DatabaseSync } from "node:sqlite";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import type { Turn } from "../turns/types.ts";
import { decodeStoredTurn, encodeStoredTurn, type SavedTurnInfo, type TurnStore } from "./turn-store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS geppetto_turns (
  session_id TEXT NOT NULL,
  turn_id    TEXT NOT NULL,
  position   INTEGER NOT NULL,
  phase      TEXT NOT NULL,
  saved_at   TEXT NOT NULL,
  turn_json  TEXT NOT NULL,
  PRIMARY KEY (session_id, turn_id)
);
CREATE INDEX IF NOT EXISTS geppetto_turns_order ON geppetto_turns (session_id, position);
`;

const UPSERT = `
INSERT INTO geppetto_turns (session_id, turn_id, position, phase, saved_at, turn_json)
VALUES (?1, ?2,
  COALESCE((SELECT position FROM geppetto_turns WHERE session_id = ?1 AND turn_id = ?2),
           (SELECT COALESCE(MAX(position), 0) + 1 FROM geppetto_turns WHERE session_id = ?1)),
  ?3, ?4, ?5)
ON CONFLICT (session_id, turn_id) DO UPDATE SET
  phase = excluded.phase, saved_at = excluded.saved_at, turn_json = excluded.turn_json`;

interface Row {
  session_id: string;
  turn_id: string;
  position: number;
  phase: string;
  saved_at: string;
  turn_json: string;
}

function info(row: Row): SavedTurnInfo {
  return {
    sessionId: row.session_id,
    turnId: row.turn_id,
    position: row.position,
    phase: row.phase as SnapshotPhase,
    savedAt: row.saved_at,
  };
}

function decode(row: Row): Turn {
  return decodeStoredTurn(row.turn_json, {
    sessionId: row.session_id,
    turnId: row.turn_id,
    phase: row.phase,
  });
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

  constructor(database: DatabaseSync) {
    this.#database = database;
    database.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    database.exec(SCHEMA);
  }

  async save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    this.#database
      .prepare(UPSERT)
      .run(sessionId, turn.id, phase, new Date().toISOString(), encodeStoredTurn(sessionId, turn));
  }

  async load(sessionId: string, turnId: string): Promise<Turn | undefined> {
    const row = this.#database
      .prepare("SELECT * FROM geppetto_turns WHERE session_id = ? AND turn_id = ?")
      .get(sessionId, turnId) as Row | undefined;
    return row ? decode(row) : undefined;
  }

  #rows(sessionId: string): Row[] {
    return this.#database
      .prepare("SELECT * FROM geppetto_turns WHERE session_id = ? ORDER BY position")
      .all(sessionId) as unknown as Row[];
  }

  async loadSession(sessionId: string): Promise<Turn[]> {
    return this.#rows(sessionId).map(decode);
  }

  async listSessions(): Promise<string[]> {
    const rows = this.#database
      .prepare("SELECT session_id FROM geppetto_turns GROUP BY session_id ORDER BY MIN(rowid)")
      .all() as unknown as { session_id: string }[];
    return rows.map((row) => row.session_id);
  }

  async listTurns(sessionId: string): Promise<SavedTurnInfo[]> {
    return this.#rows(sessionId).map(info);
  }

  async fork(sessionId: string, newSessionId: string = crypto.randomUUID()): Promise<string> {
    const database = this.#database;
    const exists = database
      .prepare("SELECT 1 FROM geppetto_turns WHERE session_id = ? LIMIT 1")
      .get(newSessionId);
    if (exists) throw new TypeError(`session ${newSessionId} already exists`);
    const rows = this.#rows(sessionId);
    const turns = rows.map(decode);
    const insert = database.prepare(
      "INSERT INTO geppetto_turns (session_id, turn_id, position, phase, saved_at, turn_json) VALUES (?, ?, ?, ?, ?, ?)",
    );
    database.exec("BEGIN IMMEDIATE");
    try {
      rows.forEach((row, index) => {
        const turn = turns[index]!;
        insert.run(
          newSessionId,
          row.turn_id,
          row.position,
          row.phase,
          row.saved_at,
          encodeStoredTurn(newSessionId, turn),
        );
      });
      database.exec("COMMIT");
    } catch (error) {
      database.exec("ROLLBACK");
      throw error;
    }
    return newSessionId;
  }

  async delete(sessionId: string): Promise<boolean> {
    const result = this.#database.prepare("DELETE FROM geppetto_turns WHERE session_id = ?").run(sessionId);
    return Number(result.changes) > 0;
  }

  /** Test helper: overwrites a row's stored text (to simulate corruption). */
  corruptForTesting(sessionId: string, turnId: string, json: string): void {
    this.#database
      .prepare("UPDATE geppetto_turns SET turn_json = ? WHERE session_id = ? AND turn_id = ?")
      .run(json, sessionId, turnId);
  }

  async close(): Promise<void> {
    if (this.#database.isOpen) this.#database.close();
  }
}

/**
 * Opens (creating if needed) a SQLite store at `path` (`":memory:"` for a throwaway one).
 *
 * @example
 * const store = await openSqliteTurnStore("./sessions.db");
 */
export async function openSqliteTurnStore(path: string): Promise<SqliteTurnStore> {
  const { DatabaseSync } = await import("node:sqlite");
  return new SqliteTurnStore(new DatabaseSync(path));
}
