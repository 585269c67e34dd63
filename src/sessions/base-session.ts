/**
 * What every session (unary or duplex) shares: its identity, template variables, the conversation state it
 * keeps in a {@link StateStore}, `messages()` and `clear()`. Saves are chained, one at a time, in call order.
 */
import { CallerError } from "../engine/errors.ts";
import { newId } from "../turns/builders.ts";
import type { JsonObject } from "../turns/json.ts";
import type { Turn } from "../turns/types.ts";
import { IncrementalMessages, type Message } from "./messages.ts";
import { type ConversationState, emptyTurn, MemoryStateStore, type StateStore } from "./state-store.ts";
import { renderVariables } from "./variables.ts";

/**
 * Where a session's conversation lives and who it belongs to.
 *
 * @example
 * const options: SessionStateOptions = { conversationId: "c1", userId: "u7", stateStore, variables: { user: "Ada" } };
 */
export interface SessionStateOptions {
  /** Default: a new id; an existing id continues that conversation. */
  conversationId?: string;
  userId?: string;
  /** Default: a {@link MemoryStateStore} of this session alone. */
  stateStore?: StateStore;
  /** Free metadata saved with the conversation (merged over the stored one). */
  metadata?: JsonObject;
  /** Initial template variables (merged over the stored ones). */
  variables?: Record<string, string>;
}

/**
 * What a session starts from: its options resolved against the stored state.
 *
 * @example
 * const { id, store, state }: ResolvedState = await resolveState(options);
 */
export interface ResolvedState {
  id: string;
  store: StateStore;
  state: ConversationState;
}

/**
 * Loads the stored conversation (or starts an empty one) for a session's options.
 *
 * @example
 * const resolved = await resolveState({ conversationId: "c1", stateStore });
 */
export async function resolveState(options: SessionStateOptions): Promise<ResolvedState> {
  const store = options.stateStore ?? new MemoryStateStore();
  const id = options.conversationId ?? newId();
  const stored = await store.load(id);
  const state: ConversationState = {
    conversationId: id,
    turn: stored?.turn ?? emptyTurn(id),
    variables: { ...stored?.variables, ...options.variables },
    metadata: { ...stored?.metadata, ...options.metadata },
  };
  const userId = options.userId ?? stored?.userId;
  if (userId !== undefined) state.userId = userId;
  return { id, store, state };
}

const VARIABLE_NAME = /^[\w.-]+$/;

/**
 * The base of {@link UnarySession} and {@link DuplexSession}.
 *
 * @example
 * session.setVar("user", "Ada");
 * (await session.messages()).at(-1)?.content
 */
export abstract class BaseSession {
  /** The conversation id (the state store's key). */
  readonly id: string;
  readonly userId: string | undefined;
  readonly stateStore: StateStore;
  #variables: Record<string, string>;
  #metadata: JsonObject;
  #saving: Promise<void> = Promise.resolve();
  #saveError: unknown;
  readonly #messageList = new IncrementalMessages();
  /** The conversation so far (frozen blocks). */
  protected conversation: Turn;

  protected constructor(resolved: ResolvedState) {
    this.id = resolved.id;
    this.stateStore = resolved.store;
    this.userId = resolved.state.userId;
    this.#variables = { ...resolved.state.variables };
    this.#metadata = resolved.state.metadata;
    this.conversation = resolved.state.turn;
  }

  /** A copy of the template variables. */
  variables(): Record<string, string> {
    return { ...this.#variables };
  }

  /** Sets a template variable (saved with the next turn). */
  setVar(name: string, value: string): void {
    if (!VARIABLE_NAME.test(name))
      throw new CallerError(`variable name ${JSON.stringify(name)} must be letters, digits, _ . or -`, {
        code: "invalid_argument",
      });
    if (typeof value !== "string")
      throw new CallerError(`variable ${name} must be a string, got ${typeof value}`, {
        code: "invalid_argument",
      });
    this.#variables[name] = value;
  }

  getVar(name: string): string | undefined {
    return Object.hasOwn(this.#variables, name) ? this.#variables[name] : undefined;
  }

  /**
   * Renders `{{name}}` placeholders from the session's variables; an unknown one throws `UnknownVariableError`.
   *
   * @example
   * session.render("Summarize this for {{user}}.")
   */
  render(template: string, where = "the template"): string {
    return renderVariables(template, this.#variables, where);
  }

  /**
   * The conversation as messages (after the saves under way). Each call adds only the messages of the blocks new
   * since the last call; the message objects are shared between calls (read them, do not change them).
   */
  async messages(): Promise<Message[]> {
    await this.saved();
    return this.#messageList.of(this.conversation);
  }

  /** Empties the conversation (variables, user and metadata stay) and saves that. */
  async clear(): Promise<void> {
    await this.saved();
    this.conversation = emptyTurn(newId());
    await this.persist(this.conversation);
  }

  /** Resolves when every save so far is done; rejects with a background save's failure (once). */
  async saved(): Promise<void> {
    await this.#saving;
    const error = this.#saveError;
    this.#saveError = undefined;
    if (error !== undefined) throw error;
  }

  /** The state this session would save for `turn`. */
  protected stateOf(turn: Turn): ConversationState {
    const state: ConversationState = {
      conversationId: this.id,
      turn,
      variables: { ...this.#variables },
      metadata: this.#metadata,
    };
    if (this.userId !== undefined) state.userId = this.userId;
    return state;
  }

  /**
   * Makes `turn` the conversation and saves it after the saves before it; resolves when saved. A `background`
   * save nobody awaits reports its failure to the next `saved()` (and so to the next call) instead.
   */
  protected persist(turn: Turn, background = false): Promise<void> {
    this.conversation = turn;
    const state = this.stateOf(turn);
    const save = this.#saving.then(() => this.stateStore.save(state));
    this.#saving = save.then(
      () => undefined,
      (error: unknown) => {
        if (background) this.#saveError ??= error;
      },
    );
    if (background) save.catch(() => {});
    return save;
  }

  /** Options for a fork of this session: its store and user, a copy of its variables and metadata. */
  protected async forkState(forkId: string): Promise<ResolvedState> {
    await this.saved();
    await this.stateStore.save(this.stateOf(this.conversation));
    await this.stateStore.fork(this.id, forkId);
    const state = this.stateOf(this.conversation);
    return { id: forkId, store: this.stateStore, state: { ...state, conversationId: forkId } };
  }
}
