/**
 * Persistence of session histories. A {@link TurnStore} keeps, per session, the latest saved state of each Turn
 * (with the snapshot phase it was saved at), in the order the turns first appeared. The Session's persister
 * saves at every snapshot phase, so a crash loses at most the block being streamed.
 */
import { GeppettoError } from "../engine/errors.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import { turnFromJson, turnToJson } from "../turns/serialization.ts";
import type { Turn } from "../turns/types.ts";

/** What a store knows about one saved turn. */
export interface SavedTurnInfo {
  sessionId: string;
  turnId: string;
  /** 1-based order of the turn in its session. */
  position: number;
  phase: SnapshotPhase;
  /** ISO 8601 time of the latest save. */
  savedAt: string;
}

/**
 * Where session histories live.
 *
 * @example
 * const store = new MemoryTurnStore();
 * await store.save("s1", turn, "post_inference");
 * const history = await store.loadSession("s1");
 */
export interface TurnStore {
  /** Saves (or overwrites) the turn's latest state. Atomic: a reader sees the old or the new state, never a mix. */
  save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void>;
  /** One turn, validated; undefined when absent. Throws {@link CorruptTurnError} for a row that is not a Turn. */
  load(sessionId: string, turnId: string): Promise<Turn | undefined>;
  /** Every turn of a session in order, validated. */
  loadSession(sessionId: string): Promise<Turn[]>;
  listSessions(): Promise<string[]>;
  listTurns(sessionId: string): Promise<SavedTurnInfo[]>;
  /** Deep-copies a session's history under a new session id (given or generated); returns the new id. */
  fork(sessionId: string, newSessionId?: string): Promise<string>;
  /** Deletes a session; returns whether it existed. */
  delete(sessionId: string): Promise<boolean>;
  close?(): Promise<void>;
}

/**
 * A stored row that does not hold a valid Turn. Names the session, turn and phase, and what is wrong.
 *
 * @example
 * catch (error) { if (error instanceof CorruptTurnError) console.error(error.where.turnId, error.message) }
 */
export class CorruptTurnError extends GeppettoError {
  override name = "CorruptTurnError";
  constructor(
    readonly where: { sessionId: string; turnId: string; phase: string },
    problem: string,
    cause?: unknown,
  ) {
    super(
      `corrupt turn in store: session ${where.sessionId}, turn ${where.turnId}, phase ${where.phase}: ${problem}`,
      {
        code: "corrupt_turn",
        fault: "caller",
        cause,
      },
    );
  }
}

/**
 * Parses a stored row, naming the row when it is not a valid Turn.
 *
 * @example
 * decodeStoredTurn(text, { sessionId: "s1", turnId: "t1", phase: "final" })
 */
export function decodeStoredTurn(
  text: string,
  where: { sessionId: string; turnId: string; phase: string },
): Turn {
  let turn: Turn;
  try {
    turn = turnFromJson(text);
  } catch (error) {
    throw new CorruptTurnError(where, error instanceof Error ? error.message : String(error), error);
  }
  if (turn.id !== where.turnId) throw new CorruptTurnError(where, `row holds turn ${turn.id}`);
  return turn;
}

/**
 * The turn as saved under a (possibly new) session id.
 *
 * @example
 * const text = encodeStoredTurn("s1", turn); // compact JSON, session id stamped on the metadata
 */
export function encodeStoredTurn(sessionId: string, turn: Turn): string {
  return turnToJson(KeyTurnMetaSessionId.set(turn, sessionId), undefined);
}

interface MemoryRow extends SavedTurnInfo {
  json: string;
}

/**
 * A store in memory (tests, short-lived tools). Stores serialized JSON, so saved turns are deep copies and
 * loads validate exactly like the SQLite store.
 *
 * @example
 * const session = new Session({ runner: new EngineBuilder({ base: engine, persister: new MemoryTurnStore() }).build() });
 */
export class MemoryTurnStore implements TurnStore {
  readonly #sessions = new Map<string, MemoryRow[]>();

  async save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    const rows = this.#sessions.get(sessionId) ?? [];
    const row: MemoryRow = {
      sessionId,
      turnId: turn.id,
      phase,
      savedAt: new Date().toISOString(),
      position: rows.length + 1,
      json: encodeStoredTurn(sessionId, turn),
    };
    const index = rows.findIndex((each) => each.turnId === turn.id);
    if (index >= 0) rows[index] = { ...row, position: rows[index]!.position };
    else rows.push(row);
    this.#sessions.set(sessionId, rows);
  }

  async load(sessionId: string, turnId: string): Promise<Turn | undefined> {
    const row = this.#sessions.get(sessionId)?.find((each) => each.turnId === turnId);
    return row ? decodeStoredTurn(row.json, row) : undefined;
  }

  async loadSession(sessionId: string): Promise<Turn[]> {
    return (this.#sessions.get(sessionId) ?? []).map((row) => decodeStoredTurn(row.json, row));
  }

  async listSessions(): Promise<string[]> {
    return [...this.#sessions.keys()];
  }

  async listTurns(sessionId: string): Promise<SavedTurnInfo[]> {
    return (this.#sessions.get(sessionId) ?? []).map(({ json: _json, ...info }) => info);
  }

  async fork(sessionId: string, newSessionId: string = crypto.randomUUID()): Promise<string> {
    if (this.#sessions.has(newSessionId)) throw new TypeError(`session ${newSessionId} already exists`);
    const rows = this.#sessions.get(sessionId) ?? [];
    for (const row of rows) await this.save(newSessionId, decodeStoredTurn(row.json, row), row.phase);
    if (rows.length === 0) this.#sessions.set(newSessionId, []);
    return newSessionId;
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.#sessions.delete(sessionId);
  }

  /** Test helper: overwrites a row's stored text (to simulate corruption). */
  corruptForTesting(sessionId: string, turnId: string, json: string): void {
    const row = this.#sessions.get(sessionId)?.find((each) => each.turnId === turnId);
    if (row) row.json = json;
  }
}
