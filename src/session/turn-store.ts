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
import { deepFreeze, frozenTurn } from "../turns/immutable.ts";
import { isJsonObject, type JsonObject } from "../turns/json.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import { blockFromDocument, turnFromJson, turnToJson } from "../turns/serialization.ts";
import type { Block, Turn } from "../turns/types.ts";

export { MemoryTurnStore } from "./memory-turn-store.ts";
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
