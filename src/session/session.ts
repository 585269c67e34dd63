/**
 * Session: a conversation's turn history, with one active inference at a time.
 *
 * Each prompt is a new Turn: {@link Session.appendNewTurnFromUserPrompt} makes a Turn under a new id that holds
 * the latest Turn's blocks and adds the prompt; {@link Session.startInference} runs the latest Turn and returns
 * an {@link ExecutionHandle}; when it ends, its output replaces that Turn in the history. Session, inference and
 * turn ids are stamped on the Turn's metadata and on every event.
 *
 * Turns share their blocks: blocks are frozen once they are in the history (see `deepFreeze`), so a new turn
 * references the previous turn's blocks instead of copying them, and the history (a {@link TurnHistory}) keeps
 * each block once. A turn costs what it adds, not the length of the conversation. Every Turn the Session hands
 * out is frozen: it cannot change later, and editing it throws.
 *
 * Cancellation (`handle.cancel()`, `session.cancelActive()`, or the caller's signal) can happen at any moment:
 * an `interrupt` event is published, the partial answer stays in the Turn (finish class `interrupted`), and
 * `wait()` RESOLVES with that partial Turn — it does not reject. `wait()` rejects only when the inference
 * fails (the error's `turn` holds the partial output, and it is kept in the history). Cancelling twice, or
 * after the end, does nothing.
 */

import { CallerError, GeppettoError } from "../engine/errors.ts";
import { type EventSink, RunContext } from "../events/context.ts";
import { PromptVariablesKey } from "../middleware/system-prompt.ts";
import { inSpan, type SpanAttributes } from "../observability/tracing.ts";
import type { ToolLoopResult } from "../toolloop/loop.ts";
import { newId, newUserTextBlock } from "../turns/builders.ts";
import { TurnHistory } from "../turns/history.ts";
import { deepFreeze, immutableCopy } from "../turns/immutable.ts";
import type { JsonValue } from "../turns/json.ts";
import { KeyTurnMetaInferenceId, KeyTurnMetaSessionId } from "../turns/keys.ts";
import type { Block, Turn } from "../turns/types.ts";
import { EngineBuilder, type InferenceRunner } from "./engine-builder.ts";
import { ExecutionHandle } from "./execution-handle.ts";

/** What `startInference` does when an inference is already running. */
export type BusyPolicy = "reject" | "queue" | "interrupt";

/**
 * `startInference` was called while another inference runs, under the `reject` policy.
 *
 * @example
 * try { session.startInference() } catch (error) { if (error instanceof SessionBusyError) showBusy() }
 */
export class SessionBusyError extends GeppettoError {
  override name = "SessionBusyError";
  constructor(sessionId: string) {
    super(`session ${sessionId} already has an active inference (busy policy "reject")`, {
      code: "session_busy",
      fault: "caller",
      retryable: true,
    });
  }
}

/**
 * Options of one {@link Session.startInference} call.
 *
 * @example
 * session.startInference({ signal: request.signal, sinks: [sseWriter(response)] });
 */
export interface StartInferenceOptions {
  /** Cancels this inference (as `handle.cancel()` does). */
  signal?: AbortSignal;
  /** Sinks that receive the events of this inference only (after the context's own sinks). */
  sinks?: EventSink[];
  /** The context this inference derives from instead of the session's (its sinks, values and signal). */
  context?: RunContext;
  /** Events the handle's reader may fall behind before the engine waits (default 256). */
  capacity?: number;
}

/** Session settings. */
export interface SessionOptions {
  /** Default: a random UUID. */
  id?: string;
  /** The runner (or a builder to build one). */
  runner: InferenceRunner | EngineBuilder;
  /** Default `reject`. */
  busyPolicy?: BusyPolicy;
  /** An existing history (loaded from a TurnStore, say). Its turns are shared and frozen in place. */
  history?: Turn[];
  /** Variables for prompt templates (`{{name}}` in the system prompt middleware). */
  data?: Record<string, JsonValue>;
  /** The context inferences derive from (sinks, values); default `RunContext.background()`. */
  context?: RunContext;
}

interface Derivation {
  parentId: string;
  parentBlockCount: number;
  added: Block[];
}

/**
 * A conversation.
 *
 * @example
 * const session = new Session({ runner: new EngineBuilder().withBase(engine).build() });
 * session.appendNewTurnFromUserPrompt("What is 6 * 7?");
 * const answer = await session.startInference().wait();
 */
export class Session {
  readonly id: string;
  readonly busyPolicy: BusyPolicy;
  /** Prompt-template variables; change them freely between inferences. */
  data: Record<string, JsonValue>;
  readonly #runner: InferenceRunner;
  readonly #context: RunContext;
  readonly #history = new TurnHistory();
  readonly #derivations = new Map<string, Derivation>();
  readonly #handles: ExecutionHandle[] = [];
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: SessionOptions) {
    this.id = options.id ?? newId();
    this.busyPolicy = options.busyPolicy ?? "reject";
    this.data = options.data ?? {};
    this.#runner = options.runner instanceof EngineBuilder ? options.runner.build() : options.runner;
    this.#context = options.context ?? RunContext.background();
    for (const turn of options.history ?? []) this.#history.record(turn);
  }

  /**
   * The history, oldest first, as read-only views (O(1) memory per turn; an older turn's `blocks` is built from
   * the shared blocks when read). Use {@link Session.latest} for the current conversation.
   */
  get turns(): readonly Turn[] {
    return this.#history.views();
  }

  /** The latest Turn (frozen). */
  latest(): Turn | undefined {
    return this.#history.latest();
  }

  /** Appends a Turn (or replaces the turn with its id). Returns it as recorded: frozen, sharing blocks. */
  append(turn: Turn): Turn {
    return this.#history.record(turn);
  }

  /**
   * Starts the next turn: the latest Turn's blocks, metadata and data (shared, not copied) under a new turn id,
   * plus the prompt. Returns it (frozen).
   * Appended while an inference runs (with the `queue` policy), the turn is rebased on the finished Turn
   * when its own inference starts, so it never loses the previous answer.
   */
  appendNewTurnFromUserPrompt(prompt: string | Block | Block[]): Turn {
    const added =
      typeof prompt === "string" ? [newUserTextBlock(prompt)] : Array.isArray(prompt) ? prompt : [prompt];
    // A prompt given as text becomes a block made here, frozen as it is; the caller's blocks are copied.
    const copies = typeof prompt === "string" ? added.map(deepFreeze) : added.map(immutableCopy);
    const latest = this.latest();
    const turn: Turn = latest
      ? { id: newId(), blocks: [...latest.blocks, ...copies], metadata: latest.metadata, data: latest.data }
      : { id: newId(), blocks: copies, metadata: {}, data: {} };
    if (latest)
      this.#derivations.set(turn.id, { parentId: latest.id, parentBlockCount: latest.blocks.length, added });
    return this.#history.record(turn);
  }

  /** Whether an inference is running or queued. */
  isRunning(): boolean {
    return this.#handles.some((handle) => handle.running);
  }

  /** Cancels the active inference (and any queued ones). Returns whether there was one. */
  cancelActive(): boolean {
    const active = this.#handles.filter((handle) => handle.running);
    for (const handle of active) handle.cancel();
    return active.length > 0;
  }

  /**
   * Runs the latest Turn. Throws {@link SessionBusyError} when one is running and the policy is `reject`;
   * with `queue` it starts when the running ones end; with `interrupt` it cancels them and then starts.
   * The handle is an InferenceStream: `for await` over it (or its `text()`) pulls the run's events.
   *
   * @example
   * const handle = session.startInference({ sinks: [responseWriter], signal: request.signal });
   * for await (const text of handle.text()) response.write(text);
   */
  startInference(options: StartInferenceOptions = {}): ExecutionHandle {
    const latest = this.latest();
    if (!latest)
      throw new CallerError("session has no turn: append a prompt first", { code: "empty_session" });
    if (this.isRunning()) {
      if (this.busyPolicy === "reject") throw new SessionBusyError(this.id);
      if (this.busyPolicy === "interrupt") this.cancelActive();
    }
    const inferenceId = newId();
    const handle = new ExecutionHandle(
      this.id,
      inferenceId,
      this.#stamp(latest, inferenceId),
      options.signal,
      options.capacity,
    );
    const base = options.context ?? this.#context;
    const context = (options.sinks ? base.withSinks(...options.sinks) : base)
      .withSinks(handle.eventQueue)
      .withFlowGate(handle.eventQueue);
    this.#handles.push(handle);
    const previous = this.#tail;
    const run = previous.then(
      () => this.#run(handle, context),
      () => this.#run(handle, context),
    );
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    handle.attach(run);
    run.then(
      () => this.#forget(handle),
      () => this.#forget(handle),
    );
    return handle;
  }

  #forget(handle: ExecutionHandle): void {
    const index = this.#handles.indexOf(handle);
    if (index >= 0) this.#handles.splice(index, 1);
  }

  #stamp(turn: Turn, inferenceId: string): Turn {
    return KeyTurnMetaInferenceId.set(KeyTurnMetaSessionId.set(turn, this.id), inferenceId);
  }

  /** The turn rebased on its parent's current state (when the parent gained blocks since the clone). */
  #rebased(turn: Turn): Turn {
    const derivation = this.#derivations.get(turn.id);
    if (!derivation) return turn;
    const count = this.#history.blockCount(derivation.parentId);
    if (count === undefined || count === derivation.parentBlockCount) return turn;
    const parent = this.#history.get(derivation.parentId)!;
    return {
      ...turn,
      blocks: [...parent.blocks, ...turn.blocks.slice(derivation.parentBlockCount)],
      data: { ...parent.data, ...turn.data },
    };
  }

  #spanAttributes(handle: ExecutionHandle): SpanAttributes {
    return { "gen_ai.conversation.id": this.id, "geppetto.inference.id": handle.inferenceId };
  }

  async #run(handle: ExecutionHandle, context: RunContext): Promise<ToolLoopResult> {
    const input = this.#history.record(
      this.#stamp(this.#rebased(this.#history.get(handle.input.id) ?? handle.input), handle.inferenceId),
    );
    handle.started(input);
    const ctx = context
      .withSignal(handle.signal)
      .withIds({ sessionId: this.id, inferenceId: handle.inferenceId, turnId: input.id })
      .with(PromptVariablesKey, { ...this.data });
    try {
      const result = await inSpan(
        ctx,
        "session_turn",
        "session-turn",
        this.#spanAttributes(handle),
        (spanCtx) => this.#runner.run(input, spanCtx),
      );
      this.#derivations.delete(input.id);
      return { ...result, turn: this.#history.record(result.turn) };
    } catch (error) {
      if (GeppettoError.is(error) && error.turn) error.turn = this.#history.record(error.turn);
      throw error;
    }
  }
}
