/**
 * Persistence of session histories. A {@link TurnStore} keeps, per session, the latest saved state of each Turn
 * (with the snapshot phase it was saved at), in the order the turns first appeared. The Session's persister
 * saves at every snapshot phase, so a crash loses at most the block being streamed.
 *
 * Both built-in stores keep each block once and write, per save, only what the turn added or changed (see
 * {@link TurnHistory} and sqlite-schema.ts); what they load is exactly what was saved, frozen, with the turns of a
 * session sharing their blocks.
 */
import type { StreamProgress } from "../engine/checkpoint.ts";
import { GeppettoError } from "../engine/errors.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import { TurnHistory } from "../turns/history.ts";
import { deepFreeze, frozenTurn } from "../turns/immutable.ts";
import { isJsonObject, type JsonObject } from "../turns/json.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import { blockFromDocument, turnFromJson, turnToJson } from "../turns/serialization.ts";
import type { Block, Turn } from "../turns/types.ts";
import { SessionSearchIndex } from "./memory-search-index.ts";
import { searchableText, searchExcerpt, searchNeedle } from "./search-text.ts";

export { foldCase, searchableText, searchExcerpt, searchNeedle } from "./search-text.ts";

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
  /**
   * Saves a checkpoint of an answer being streamed (phase `streaming`), writing what changed since the previous
   * checkpoint of the same inference (`progress.full`: the whole partial turn). Without it, the Session saves
   * `progress.turn` with {@link TurnStore.save}.
   */
  checkpoint?(sessionId: string, progress: StreamProgress): Promise<void>;
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
   * contains `text`, ignoring case in every script but not accents (see search-text.ts: "ÉCOLE" finds "école",
   * "ecole" does not); most recently updated first. Every store looks the text up in a trigram index (a text of
   * one or two characters is scanned for), so a search costs what the matches cost, not what the other
   * conversations hold. A blank `text` is a CallerError.
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
  /** The latest save (ms), and the order the session was created in (ties list the newer first). */
  updatedAt: number;
  order: number;
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
  readonly #index = new SessionSearchIndex();
  #created = 0;
  readonly #stats: StoreStats = { saves: 0, rowsWritten: 0, bytesWritten: 0 };

  #session(sessionId: string): MemorySession {
    let session = this.#sessions.get(sessionId);
    if (!session) {
      session = {
        history: new TurnHistory(),
        phases: [],
        savedAt: [],
        updatedAt: 0,
        order: this.#created++,
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
      this.#index.add(sessionId, searchableText(block));
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
    session.updatedAt = Math.max(session.updatedAt, session.savedAt[index]!);
    if (session.title === "") session.title = sessionTitle(turn);
  }

  /**
   * Saves a checkpoint of an answer being streamed. After the inference's first checkpoint (a whole save), the
   * blocks it changed are stored as they are and each block text was appended to becomes a new block whose text
   * is the old one joined with the new (a rope): nothing the answer streamed before is copied or serialized.
   */
  async checkpoint(sessionId: string, progress: StreamProgress): Promise<void> {
    const session = this.#sessions.get(sessionId);
    const index = session?.history.indexOf(progress.turnId) ?? -1;
    if (
      progress.full ||
      session === undefined ||
      index !== session.history.length - 1 ||
      session.phases[index] !== "streaming"
    ) {
      await this.save(sessionId, progress.turn, "streaming");
      return;
    }
    const blocks = session.history.at(index).blocks.slice(0, progress.blockCount);
    const changed = new Set<number>();
    for (const { index: position, block } of progress.changed) {
      blocks[position] = block;
      this.#index.add(sessionId, searchableText(block));
      changed.add(position);
      this.#stats.bytesWritten += JSON.stringify(block).length;
    }
    for (const { index: position, text } of progress.appended) {
      const block = blocks[position]!;
      const before = (block.payload as { text?: string }).text ?? "";
      blocks[position] = { ...block, payload: { ...block.payload, text: before + text } } as Block;
      this.#index.add(sessionId, text, before);
      changed.add(position);
      this.#stats.bytesWritten += text.length;
    }
    const metadata =
      progress.metadata[KeyTurnMetaSessionId.id] === sessionId
        ? progress.metadata
        : { ...progress.metadata, [KeyTurnMetaSessionId.id]: sessionId };
    session.history.record(
      { id: progress.turnId, blocks, metadata, data: progress.data },
      undefined,
      changed,
    );
    this.#stats.saves++;
    this.#stats.rowsWritten += changed.size + 1;
    session.savedAt[index] = Date.now();
    session.updatedAt = Math.max(session.updatedAt, session.savedAt[index]!);
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

  #summary(sessionId: string, session: MemorySession): SessionSummary {
    return {
      sessionId,
      turnCount: session.history.length,
      createdAt: session.createdAt,
      updatedAt: new Date(session.updatedAt).toISOString(),
      title: session.title,
    };
  }

  /** Most recently updated first; sessions saved in the same millisecond, the newer first. */
  #newestFirst(sessionIds: Iterable<string>): [string, MemorySession][] {
    const sessions: [string, MemorySession][] = [];
    for (const sessionId of sessionIds) {
      const session = this.#sessions.get(sessionId);
      if (session) sessions.push([sessionId, session]);
    }
    return sessions.sort(
      ([, left], [, right]) => right.updatedAt - left.updatedAt || right.order - left.order,
    );
  }

  async listSessionSummaries(): Promise<SessionSummary[]> {
    return this.#newestFirst(this.#sessions.keys()).map(([sessionId, session]) =>
      this.#summary(sessionId, session),
    );
  }

  async listTurns(sessionId: string): Promise<SavedTurnInfo[]> {
    const session = this.#sessions.get(sessionId);
    return session ? session.phases.map((_phase, index) => this.#info(sessionId, session, index)) : [];
  }

  /**
   * Checks the sessions the trigram index names (every session for a text of one or two characters), newest
   * first, against their saved block versions.
   */
  async searchSessions(text: string, options: SessionSearchOptions = {}): Promise<SessionSearchHit[]> {
    const needle = searchNeedle(text);
    const hits: SessionSearchHit[] = [];
    for (const [sessionId, session] of this.#newestFirst(
      this.#index.candidates(needle) ?? this.#sessions.keys(),
    )) {
      const excerpt = this.#excerpt(session, needle);
      if (excerpt === undefined) continue;
      hits.push({ ...this.#summary(sessionId, session), excerpt });
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
      copy.history.record(KeyTurnMetaSessionId.set(turn, newSessionId), (block) =>
        this.#index.add(newSessionId, searchableText(block)),
      );
      copy.phases.push(source!.phases[index]!);
      copy.savedAt.push(source!.savedAt[index]!);
    }
    copy.title = source?.title ?? "";
    copy.updatedAt = source?.updatedAt ?? 0;
    return newSessionId;
  }

  async delete(sessionId: string): Promise<boolean> {
    const session = this.#sessions.get(sessionId);
    if (!session) return false;
    for (const block of session.history.storedBlocks()) this.#index.remove(sessionId, searchableText(block));
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
