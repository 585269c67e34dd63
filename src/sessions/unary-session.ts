/**
 * UnarySession: a request/response conversation kept in a {@link StateStore}. Each `execute` adds a message to
 * the conversation, runs the engine (with the tool loop when the engine builder has tools), saves the answered
 * conversation, and returns the answer's text, Turn, inference result, usage and cost. `executeStream` returns
 * the running inference as an `InferenceStream` to pull chunks from.
 *
 * Built on geppetto's Session: turns share their frozen blocks, so an execute costs what it adds, and a fork
 * shares the conversation so far instead of copying it.
 */
import type { Engine, InferenceCost, InferenceResult } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import { addCost, addUsage } from "../engine/totals.ts";
import { RunContext } from "../events/context.ts";
import type { Usage } from "../events/types.ts";
import type { EngineBuilder } from "../session/engine-builder.ts";
import type { ExecutionHandle } from "../session/execution-handle.ts";
import type { Session } from "../session/session.ts";
import type { ToolLoopResult } from "../toolloop/loop.ts";
import type { Block, Turn } from "../turns/types.ts";
import { BaseSession, type ResolvedState, resolveState, type SessionStateOptions } from "./base-session.ts";
import { blockFromMessage, type Message, type MessageRole } from "./messages.ts";
import { type RunRecord, RunRecordKey, type SessionParts, sessionParts } from "./run-record.ts";

/**
 * Options of {@link UnarySession.open}.
 *
 * @example
 * await UnarySession.open({ engine, systemPrompt: "You help {{user}}.", variables: { user: "Ada" } });
 */
export interface UnarySessionOptions extends SessionStateOptions {
  /** The engine, or an engine builder (with its tools, middlewares, loop settings). */
  engine: Engine | EngineBuilder;
  /** A template (`{{name}}` from the variables), rendered on every execute as the first (system) block. */
  systemPrompt?: string;
  /** The context inferences derive from (sinks, values). */
  context?: RunContext;
}

/**
 * What an execute returns.
 *
 * @example
 * const { text, usage, cost } = await session.execute("user", "What is 6 * 7?");
 */
export interface ExecutionResult {
  /** The answer's text (every assistant text block this execute added). */
  text: string;
  /** The whole conversation after the answer. */
  turn: Turn;
  /** The result of the last inference (finish class, model, usage of that inference…). */
  result: InferenceResult;
  /** Tokens of every inference of this execute (the tool loop may run several). */
  usage: Usage;
  /** Money of every inference of this execute, when the engine knows the model's prices. */
  cost?: InferenceCost;
  loop: ToolLoopResult;
}

/** The text of the assistant blocks after the block with id `after`. */
function answerText(blocks: readonly Block[], after: string): string {
  const start = blocks.findIndex((block) => block.id === after);
  let text = "";
  for (const block of blocks.slice(start + 1)) if (block.kind === "llm_text") text += block.payload.text;
  return text;
}

/**
 * A request/response conversation.
 *
 * @example
 * const session = await UnarySession.open({ engine, stateStore: new FileStateStore("./conversations") });
 * const { text } = await session.execute("user", "Hello!");
 * for await (const piece of session.executeStream("user", "Tell me more").text()) process.stdout.write(piece);
 */
export class UnarySession extends BaseSession {
  readonly #options: UnarySessionOptions;
  readonly #parts: SessionParts;
  #session: Session;

  private constructor(options: UnarySessionOptions, resolved: ResolvedState, parts: SessionParts) {
    super(resolved);
    this.#options = options;
    this.#parts = parts;
    this.#session = this.#newSession();
  }

  #newSession(): Session {
    return new this.#parts.Session({
      id: this.id,
      runner: this.#parts.builder.build(),
      busyPolicy: "queue",
      history: this.conversation.blocks.length > 0 ? [this.conversation] : [],
      ...(this.#options.context ? { context: this.#options.context } : {}),
    });
  }

  /** Cancels a running execute, then empties the conversation (variables, user and metadata stay) and saves. */
  override async clear(): Promise<void> {
    this.#session.cancelActive();
    await super.clear();
    this.#session = this.#newSession();
  }

  /** Opens a session: continues the stored conversation `conversationId` when there is one. */
  static async open(options: UnarySessionOptions): Promise<UnarySession> {
    const resolved = await resolveState(options);
    return new UnarySession(options, resolved, await sessionParts(options.engine));
  }

  /** Adds a message from `role` (`user` or `system`) and waits for the answer. */
  execute(role: MessageRole, content: string): Promise<ExecutionResult> {
    return this.executeWithMessage({ role, content });
  }

  /** Adds a message (with attachments) and waits for the answer. */
  async executeWithMessage(message: Message): Promise<ExecutionResult> {
    await this.saved();
    const { handle, done } = this.#start(message);
    await handle.wait().catch(() => {});
    return done;
  }

  /**
   * Adds a message and returns the running inference: iterate it for its events, `.text()` for the answer's
   * text, or await `.result`. The answered conversation is saved when it ends (also when cancelled; a failed
   * save is reported by the next call).
   */
  executeStream(role: MessageRole, content: string): ExecutionHandle {
    return this.executeStreamWithMessage({ role, content });
  }

  /** {@link UnarySession.executeStream} with a whole message. */
  executeStreamWithMessage(message: Message): ExecutionHandle {
    const { handle, done } = this.#start(message, true);
    done.catch(() => {});
    return handle;
  }

  #start(message: Message, background = false): { handle: ExecutionHandle; done: Promise<ExecutionResult> } {
    const block = blockFromMessage(message);
    const system =
      this.#options.systemPrompt === undefined
        ? undefined
        : this.render(this.#options.systemPrompt, "the system prompt");
    const record: RunRecord = { system, results: [] };
    this.#session.data = this.variables();
    this.#session.appendNewTurnFromUserPrompt(block);
    const context = (this.#options.context ?? RunContext.background()).with(RunRecordKey, record);
    const handle = this.#session.startInference({ context });
    const done = handle.result.then(
      async (outcome) => {
        await this.persist(outcome.turn, background);
        const result: ExecutionResult = {
          text: answerText(outcome.turn.blocks, block.id),
          turn: outcome.turn,
          result: outcome.result,
          usage: record.results.reduce((total, each) => addUsage(total, each.usage), {} as Usage),
          loop: outcome.loop,
        };
        const cost = record.results.reduce<InferenceCost | undefined>(
          (total, each) => addCost(total, each.cost),
          undefined,
        );
        if (cost) result.cost = cost;
        return result;
      },
      async (error: unknown) => {
        if (GeppettoError.is(error) && error.turn) await this.persist(error.turn, background);
        throw error;
      },
    );
    return { handle, done };
  }

  /** Cancels the running execute (its partial answer is kept and saved). Returns whether one was running. */
  cancel(): boolean {
    return this.#session.cancelActive();
  }

  /**
   * An independent session whose conversation starts as this one's (sharing its blocks) under `forkId`, saved
   * in the same store, with the same engine, system prompt and a copy of the variables.
   *
   * @example
   * const branch = await session.fork("what-if");
   * await branch.execute("user", "And if it rained?"); // the original does not see this
   */
  async fork(forkId: string): Promise<UnarySession> {
    const resolved = await this.forkState(forkId);
    return new UnarySession({ ...this.#options, conversationId: forkId }, resolved, this.#parts);
  }
}
