/**
 * Persistence of session histories. A {@link TurnStore} keeps, per session, the latest saved state of each Turn
 * (with the snapshot phase it was saved at), in the order the turns first appeared. The Session's persister
 * saves at every snapshot phase, so a crash loses at most the block being streamed.
 *
 * Both built-in stores keep each block once and write, per save, only what the turn added or changed (see
 * {@link TurnHistory} and sqlite-schema.ts); what they load is exactly what was saved, frozen, with the turns of a
 * session sharing their blocks.
 */
import { CallerError, GeppettoError } from "../engine/errors.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import { TurnHistory } from "../turns/history.ts";
import { deepFreeze, frozenTurn } from "../turns/immutable.ts";
import { isJsonObject, type JsonObject } from "../turns/json.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import { blockFromDocument, turnFromJson, turnToJson } from "../turns/serialization.ts";
import type { Block, Turn } from "../turns/types.ts";

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

/** One stored session, without reading its turns. */
export interface SessionSummary {
  sessionId: string;
  turnCount: number;
  /** ISO 8601 times of the first and the latest save. */
  createdAt: string;
  updatedAt: string;
  /** The first user prompt, on one line, at most 200 characters ("" when there is none yet). */
  title: string;
}

/** A session a search found: its summary and the text around the first match found. */
export interface SessionSearchHit extends SessionSummary {
  /** About 30 characters either side of a match, on one line. */
  excerpt: string;
}

/** How {@link TurnStore.searchSessions} searches. */
export interface SessionSearchOptions {
  /** Most sessions returned. Default 50. */
  limit?: number;
}

/** What a store wrote since it was opened. */
export interface StoreStats {
  saves: number;
  /** Rows inserted or updated. */
  rowsWritten: number;
  /** Bytes of the values written (text as its length; numbers as 8). */
  bytesWritten: number;
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
  /** The newest turn of a session (the whole conversation so far), without building the older turns. */
  loadLatest?(sessionId: string): Promise<Turn | undefined>;
  listSessions(): Promise<string[]>;
  /** Sessions, most recently updated first, without reading their turns. */
  listSessionSummaries?(): Promise<SessionSummary[]>;
  listTurns(sessionId: string): Promise<SavedTurnInfo[]>;
  /**
   * Sessions whose saved text (prompts, answers, system prompts, reasoning: what any saved version of a turn held)
   * contains `text`, ignoring the case of ASCII letters; most recently updated first. The SQLite and PostgreSQL
   * stores look the text up in a trigram index (a text of one or two characters is scanned for), so a search costs
   * what the matches cost, not what the other conversations hold; the memory store scans. A blank `text` is a
   * CallerError.
   */
  searchSessions(text: string, options?: SessionSearchOptions): Promise<SessionSearchHit[]>;
  /** Copies a session's history under a new session id (given or generated); returns the new id. */
  fork(sessionId: string, newSessionId?: string): Promise<string>;
  /** Deletes a session; returns whether it existed. */
  delete(sessionId: string): Promise<boolean>;
  /** What the store wrote since it was opened. */
  stats?(): StoreStats;
  close?(): Promise<void>;
}

/** Where a stored value came from, for error messages. */
export interface StoredWhere {
  sessionId: string;
  turnId: string;
  phase?: string;
  /** The column (and block) that does not hold what it should. */
  column?: string;
}

/**
 * A stored row that does not hold a valid Turn. Names the session, turn, phase and column, and what is wrong.
 *
 * @example
 * catch (error) { if (error instanceof CorruptTurnError) console.error(error.where.turnId, error.message) }
 */
export class CorruptTurnError extends GeppettoError {
  override name = "CorruptTurnError";
  constructor(
    readonly where: StoredWhere,
    problem: string,
    cause?: unknown,
  ) {
    const parts = [`session ${where.sessionId}`, `turn ${where.turnId}`];
    if (where.phase !== undefined) parts.push(`phase ${where.phase}`);
    if (where.column !== undefined) parts.push(`column ${where.column}`);
    super(`corrupt turn in store: ${parts.join(", ")}: ${problem}`, {
      code: "corrupt_turn",
      fault: "caller",
      cause,
    });
  }
}

function corrupt(where: StoredWhere, error: unknown): CorruptTurnError {
  return new CorruptTurnError(where, error instanceof Error ? error.message : String(error), error);
}

/**
 * Parses a stored whole-turn document, naming the row when it is not a valid Turn.
 *
 * @example
 * decodeStoredTurn(text, { sessionId: "s1", turnId: "t1", phase: "final" })
 */
export function decodeStoredTurn(text: string, where: StoredWhere): Turn {
  let turn: Turn;
  try {
    turn = turnFromJson(text);
  } catch (error) {
    throw corrupt(where, error);
  }
  if (turn.id !== where.turnId) throw new CorruptTurnError(where, `row holds turn ${turn.id}`);
  return frozenTurn(turn.id, turn.blocks.map(deepFreeze), turn.metadata, turn.data);
}

/** Parses and validates one stored block (frozen), naming the row when it is not a Block. */
export function decodeStoredBlock(text: string, where: StoredWhere): Block {
  try {
    return deepFreeze(blockFromDocument(JSON.parse(text)));
  } catch (error) {
    throw corrupt(where, error);
  }
}

/** Parses a stored metadata or data object, naming the row when it is not a JSON object. */
export function decodeStoredObject(text: string, where: StoredWhere): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(where, error);
  }
  if (!isJsonObject(value)) throw new CorruptTurnError(where, "not a JSON object");
  return value;
}

/** A frozen Turn from stored parts (`blocks` is taken, not copied); a position with no block is corrupt. */
export function assembleTurn(
  id: string,
  blocks: Block[],
  metadata: JsonObject,
  data: JsonObject,
  where: StoredWhere,
): Turn {
  for (let index = 0; index < blocks.length; index++) {
    if (blocks[index] === undefined) throw new CorruptTurnError(where, `block ${index} is missing`);
  }
  return frozenTurn(id, blocks, metadata, data);
}

/** The title a session is listed with: its first user prompt, on one line. */
export function sessionTitle(turn: Turn): string {
  const block = turn.blocks.find((candidate) => candidate.kind === "user");
  const text = block?.kind === "user" ? block.payload.text.replace(/\s+/g, " ").trim() : "";
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The text a block is searched by: the `payload.text` of prompts, answers, system prompts and reasoning. */
export function searchableText(block: Block): string {
  const text = (block.payload as { text?: unknown }).text;
  return typeof text === "string" ? text : "";
}

/** `text` with its ASCII letters in lower case (the case every store's search ignores, and only that one). */
export function foldAsciiCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * The search text, checked (a blank one is a CallerError) and folded for {@link searchExcerpt}.
 *
 * @example
 * const needle = searchNeedle("Invoice"); // "invoice"
 */
export function searchNeedle(text: string): string {
  if (typeof text !== "string" || text.trim() === "") {
    throw new CallerError("searchSessions needs a text to look for (got a blank one)");
  }
  return foldAsciiCase(text);
}

/**
 * The excerpt around the first place `text` holds `needle` (folded by {@link searchNeedle}); undefined when it
 * does not hold it.
 *
 * @example
 * searchExcerpt("Where is my INVOICE?", "invoice") // "Where is my INVOICE?"
 */
export function searchExcerpt(text: string, needle: string): string | undefined {
  const at = foldAsciiCase(text).indexOf(needle);
  if (at < 0) return undefined;
  const start = Math.max(0, at - 30);
  const end = Math.min(text.length, at + needle.length + 30);
  return `${start > 0 ? "…" : ""}${text.slice(start, end).replace(/\s+/g, " ").trim()}${end < text.length ? "…" : ""}`;
}

/**
 * The turn as saved under a (possibly new) session id, as one JSON document.
 *
 * @example
 * const text = encodeStoredTurn("s1", turn); // compact JSON, session id stamped on the metadata
 */
export function encodeStoredTurn(sessionId: string, turn: Turn): string {
  return turnToJson(KeyTurnMetaSessionId.set(turn, sessionId), undefined);
}

interface MemorySession {
  history: TurnHistory;
  /** Per turn (by position): the phase and time (ms) of its latest save. */
  phases: SnapshotPhase[];
  savedAt: number[];
  createdAt: string;
  title: string;
  /** Turns replaced by a raw document (corruptForTesting), by id. */
  raw: Map<string, string>;
}

/**
 * A store in memory (tests, short-lived tools). Saved turns share their blocks with the caller (frozen in place
 * on save, so a later edit throws instead of changing the store), each block is kept once, and a save stores
 * what the turn added or changed.
 *
 * @example
 * const session = new Session({ runner: new EngineBuilder({ base: engine, persister: new MemoryTurnStore() }).build() });
 */
export class MemoryTurnStore implements TurnStore {
  readonly #sessions = new Map<string, MemorySession>();
  readonly #stats: StoreStats = { saves: 0, rowsWritten: 0, bytesWritten: 0 };

  #session(sessionId: string): MemorySession {
    let session = this.#sessions.get(sessionId);
    if (!session) {
      session = {
        history: new TurnHistory(),
        phases: [],
        savedAt: [],
        createdAt: new Date().toISOString(),
        title: "",
        raw: new Map(),
      };
      this.#sessions.set(sessionId, session);
    }
    return session;
  }

  async save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    const session = this.#session(sessionId);
    const stamped =
      KeyTurnMetaSessionId.get(turn) === sessionId ? turn : KeyTurnMetaSessionId.set(turn, sessionId);
    session.history.record(stamped, (block) => {
      this.#stats.rowsWritten++;
      this.#stats.bytesWritten += JSON.stringify(block).length;
    });
    this.#stats.saves++;
    this.#stats.rowsWritten++;
    this.#stats.bytesWritten += JSON.stringify(stamped.metadata).length + JSON.stringify(stamped.data).length;
    session.raw.delete(turn.id);
    const index = session.history.indexOf(turn.id);
    session.phases[index] = phase;
    session.savedAt[index] = Date.now();
    if (session.title === "") session.title = sessionTitle(turn);
  }

  #info(sessionId: string, session: MemorySession, index: number): SavedTurnInfo {
    return {
      sessionId,
      turnId: session.history.idAt(index),
      position: index + 1,
      phase: session.phases[index]!,
      savedAt: new Date(session.savedAt[index]!).toISOString(),
    };
  }

  #turn(sessionId: string, session: MemorySession, index: number): Turn {
    const info = this.#info(sessionId, session, index);
    const raw = session.raw.get(info.turnId);
    if (raw !== undefined) return decodeStoredTurn(raw, info);
    return session.history.at(index);
  }

  async load(sessionId: string, turnId: string): Promise<Turn | undefined> {
    const session = this.#sessions.get(sessionId);
    const index = session?.history.indexOf(turnId) ?? -1;
    return session && index >= 0 ? this.#turn(sessionId, session, index) : undefined;
  }

  async loadLatest(sessionId: string): Promise<Turn | undefined> {
    const session = this.#sessions.get(sessionId);
    return session && session.history.length > 0
      ? this.#turn(sessionId, session, session.history.length - 1)
      : undefined;
  }

  async loadSession(sessionId: string): Promise<Turn[]> {
    const session = this.#sessions.get(sessionId);
    if (!session) return [];
    return session.phases.map((_phase, index) => this.#turn(sessionId, session, index));
  }

  async listSessions(): Promise<string[]> {
    return [...this.#sessions.keys()];
  }

  async listSessionSummaries(): Promise<SessionSummary[]> {
    const summaries = [...this.#sessions].map(([sessionId, session]) => ({
      sessionId,
      turnCount: session.history.length,
      createdAt: session.createdAt,
      updatedAt: new Date(Math.max(0, ...session.savedAt)).toISOString(),
      title: session.title,
    }));
    return summaries.reverse().sort((left, right) => right.updatedAt.localeCompare(left.updatedAt));
  }

  async listTurns(sessionId: string): Promise<SavedTurnInfo[]> {
    const session = this.#sessions.get(sessionId);
    return session ? session.phases.map((_phase, index) => this.#info(sessionId, session, index)) : [];
  }

  /** Scans every saved block version of every session (the memory store keeps no index). */
  async searchSessions(text: string, options: SessionSearchOptions = {}): Promise<SessionSearchHit[]> {
    const needle = searchNeedle(text);
    const hits: SessionSearchHit[] = [];
    for (const summary of await this.listSessionSummaries()) {
      const session = this.#sessions.get(summary.sessionId)!;
      const excerpt = this.#excerpt(session, needle);
      if (excerpt === undefined) continue;
      hits.push({ ...summary, excerpt });
      if (hits.length >= (options.limit ?? 50)) break;
    }
    return hits;
  }

  #excerpt(session: MemorySession, needle: string): string | undefined {
    for (const block of session.history.storedBlocks()) {
      const excerpt = searchExcerpt(searchableText(block), needle);
      if (excerpt !== undefined) return excerpt;
    }
    return undefined;
  }

  async fork(sessionId: string, newSessionId: string = crypto.randomUUID()): Promise<string> {
    if (this.#sessions.has(newSessionId)) throw new TypeError(`session ${newSessionId} already exists`);
    const source = this.#sessions.get(sessionId);
    const copy = this.#session(newSessionId);
    for (let index = 0; index < (source?.history.length ?? 0); index++) {
      const turn = this.#turn(sessionId, source!, index);
      copy.history.record(KeyTurnMetaSessionId.set(turn, newSessionId));
      copy.phases.push(source!.phases[index]!);
      copy.savedAt.push(source!.savedAt[index]!);
    }
    copy.title = source?.title ?? "";
    return newSessionId;
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.#sessions.delete(sessionId);
  }

  stats(): StoreStats {
    return { ...this.#stats };
  }

  /** Test helper: replaces a turn's stored state with a raw document (to simulate corruption). */
  corruptForTesting(sessionId: string, turnId: string, json: string): void {
    this.#sessions.get(sessionId)?.raw.set(turnId, json);
  }
}
