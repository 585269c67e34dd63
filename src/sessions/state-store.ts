/**
 * Conversation state stores: where a unary or duplex session keeps its conversation between calls and between
 * processes. One interface ({@link StateStore}), four built-in stores (memory, file, SQLite, Redis), and one
 * versioned document format ({@link encodeConversationState}) that the file and Redis stores write.
 *
 * A state is the conversation so far as one Turn (the latest turn of the session: its blocks are the whole
 * conversation), plus who it belongs to, its template variables and free metadata.
 */
import { GeppettoError } from "../engine/errors.ts";
import { deepFreeze, frozenTurn } from "../turns/immutable.ts";
import { isJsonObject, type JsonObject } from "../turns/json.ts";
import { turnFromDocument, turnToDocument } from "../turns/serialization.ts";
import type { Turn } from "../turns/types.ts";

/**
 * The persisted format tag of a conversation state document.
 *
 * @example
 * JSON.parse(text).format === CONVERSATION_STATE_FORMAT
 */
export const CONVERSATION_STATE_FORMAT = "geppetto.conversation_state/v1";

/**
 * One conversation as a store keeps it.
 *
 * @example
 * const state: ConversationState = { conversationId: "c1", turn: emptyTurn("c1"), variables: {}, metadata: {} };
 */
export interface ConversationState {
  conversationId: string;
  userId?: string;
  /** The conversation so far: every block, oldest first (frozen once saved). */
  turn: Turn;
  /** Template variables (`{{name}}`) of the session. */
  variables: Record<string, string>;
  metadata: JsonObject;
  /** ISO 8601 time of the latest save (set by the store). */
  updatedAt?: string;
}

/**
 * Where conversation states live. Implementations: {@link MemoryStateStore}, `FileStateStore`,
 * `SqliteStateStore`, `RedisStateStore`; the contract every one passes is in `test-support.ts`
 * (`describeStateStoreContract`).
 *
 * @example
 * const store = new MemoryStateStore();
 * await store.save(state);
 * const again = await store.load(state.conversationId);
 */
export interface StateStore {
  /** The state saved last, frozen; undefined when none. Throws {@link CorruptStateError} for unreadable data. */
  load(conversationId: string): Promise<ConversationState | undefined>;
  /** Saves (overwrites) a state. Atomic: a reader sees the previous save or this one, never a mix. */
  save(state: ConversationState): Promise<void>;
  /** Copies a conversation under a new id. Throws when the source is missing or the new id is taken. */
  fork(sourceId: string, newId: string): Promise<void>;
  /** Deletes a conversation; returns whether it existed. */
  delete(conversationId: string): Promise<boolean>;
  /** Every stored conversation id (any order). */
  list(): Promise<string[]>;
  close?(): Promise<void>;
}

/**
 * A stored state that cannot be read back: names the conversation, where it was read and what is wrong.
 *
 * @example
 * catch (error) { if (error instanceof CorruptStateError) console.error(error.conversationId, error.message) }
 */
export class CorruptStateError extends GeppettoError {
  override name = "CorruptStateError";
  constructor(
    readonly conversationId: string,
    where: string,
    problem: string,
    cause?: unknown,
  ) {
    super(`corrupt conversation state ${conversationId} in ${where}: ${problem}`, {
      code: "corrupt_state",
      fault: "caller",
      cause,
    });
  }
}

/**
 * A store operation that the stored data forbids (fork onto an existing id, fork of a missing conversation).
 *
 * @example
 * await store.fork("missing", "b").catch((error: StateStoreError) => error.code) // "no_conversation"
 */
export class StateStoreError extends GeppettoError {
  override name = "StateStoreError";
  constructor(message: string, code: "no_conversation" | "session_exists") {
    super(message, { code, fault: "caller" });
  }
}

/**
 * Throws the errors every store's fork throws, given what it found.
 *
 * @example
 * checkFork("a", "b", await exists("a"), await exists("b")); // throws StateStoreError
 */
export function checkFork(
  sourceId: string,
  newId: string,
  sourceExists: boolean,
  targetExists: boolean,
): void {
  if (!sourceExists)
    throw new StateStoreError(`cannot fork conversation ${sourceId}: it does not exist`, "no_conversation");
  if (targetExists)
    throw new StateStoreError(
      `cannot fork conversation ${sourceId} onto ${newId}: ${newId} already exists`,
      "session_exists",
    );
}

/**
 * An empty conversation turn.
 *
 * @example
 * emptyTurn("c1") // { id: "c1", blocks: [], metadata: {}, data: {} }, frozen
 */
export function emptyTurn(id: string): Turn {
  return frozenTurn(id, [], {}, {});
}

/**
 * A frozen copy of the state's envelope (the turn is frozen in place: its blocks are shared, not copied).
 *
 * @example
 * const saved = frozenState(state, new Date().toISOString());
 */
export function frozenState(state: ConversationState, updatedAt?: string): ConversationState {
  // A frozen Turn (every Turn a session hands out) holds frozen blocks: kept as is, so a save costs the envelope,
  // not a walk over the conversation.
  const turn = Object.isFrozen(state.turn)
    ? state.turn
    : frozenTurn(state.turn.id, state.turn.blocks.map(deepFreeze), state.turn.metadata, state.turn.data);
  const copy: ConversationState = {
    conversationId: state.conversationId,
    turn,
    variables: { ...state.variables },
    metadata: deepFreeze(structuredClone(state.metadata)),
  };
  if (state.userId !== undefined) copy.userId = state.userId;
  const time = updatedAt ?? state.updatedAt;
  if (time !== undefined) copy.updatedAt = time;
  return Object.freeze(copy);
}

/**
 * The state as a versioned JSON document (what the file and Redis stores write).
 *
 * @example
 * const text = encodeConversationState(state); // {"format":"geppetto.conversation_state/v1",…}
 */
export function encodeConversationState(state: ConversationState, indent?: number): string {
  return JSON.stringify(
    {
      format: CONVERSATION_STATE_FORMAT,
      conversationId: state.conversationId,
      ...(state.userId === undefined ? {} : { userId: state.userId }),
      variables: state.variables,
      metadata: state.metadata,
      ...(state.updatedAt === undefined ? {} : { updatedAt: state.updatedAt }),
      turn: turnToDocument(state.turn),
    },
    null,
    indent,
  );
}

/**
 * Parses a state document, naming the conversation and `where` (a file, a key) when it is not one.
 *
 * @example
 * decodeConversationState(text, "c1", "/var/states/c1.json")
 */
export function decodeConversationState(
  text: string,
  conversationId: string,
  where: string,
): ConversationState {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new CorruptStateError(conversationId, where, `not JSON (${(error as Error).message})`, error);
  }
  return conversationStateFromDocument(document, conversationId, where);
}

/**
 * Checks a parsed state document (see {@link decodeConversationState}) and returns the frozen state.
 *
 * @example
 * conversationStateFromDocument(JSON.parse(text), "c1", "/var/states/c1.json")
 */
export function conversationStateFromDocument(
  document: unknown,
  conversationId: string,
  where: string,
): ConversationState {
  if (!isJsonObject(document)) throw new CorruptStateError(conversationId, where, "not a JSON object");
  if (document.format !== CONVERSATION_STATE_FORMAT)
    throw new CorruptStateError(
      conversationId,
      where,
      `format is ${JSON.stringify(document.format)}, expected ${JSON.stringify(CONVERSATION_STATE_FORMAT)}`,
    );
  if (document.conversationId !== conversationId)
    throw new CorruptStateError(
      conversationId,
      where,
      `holds conversation ${JSON.stringify(document.conversationId)}`,
    );
  const variables = document.variables;
  if (!isJsonObject(variables) || Object.values(variables).some((value) => typeof value !== "string"))
    throw new CorruptStateError(conversationId, where, "variables is not an object of strings");
  if (!isJsonObject(document.metadata))
    throw new CorruptStateError(conversationId, where, "metadata is not an object");
  let turn: Turn;
  try {
    turn = turnFromDocument(document.turn, `${where} (turn)`);
  } catch (error) {
    throw new CorruptStateError(conversationId, where, (error as Error).message, error);
  }
  const state: ConversationState = {
    conversationId,
    turn,
    variables: variables as Record<string, string>,
    metadata: document.metadata,
  };
  if (typeof document.userId === "string") state.userId = document.userId;
  if (typeof document.updatedAt === "string") state.updatedAt = document.updatedAt;
  return frozenState(state);
}

/**
 * A store in memory (tests, one process). A save keeps the state's frozen turn as is: blocks are shared with the
 * caller and across forks, so a save costs the envelope, not the conversation.
 *
 * @example
 * const session = new UnarySession({ engine, stateStore: new MemoryStateStore() });
 */
export class MemoryStateStore implements StateStore {
  readonly #states = new Map<string, ConversationState>();

  async load(conversationId: string): Promise<ConversationState | undefined> {
    return this.#states.get(conversationId);
  }

  async save(state: ConversationState): Promise<void> {
    this.#states.set(state.conversationId, frozenState(state, new Date().toISOString()));
  }

  async fork(sourceId: string, newId: string): Promise<void> {
    const source = this.#states.get(sourceId);
    checkFork(sourceId, newId, source !== undefined, this.#states.has(newId));
    this.#states.set(newId, frozenState({ ...source!, conversationId: newId }));
  }

  async delete(conversationId: string): Promise<boolean> {
    return this.#states.delete(conversationId);
  }

  async list(): Promise<string[]> {
    return [...this.#states.keys()];
  }
}
