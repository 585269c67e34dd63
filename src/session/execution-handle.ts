/**
 * ExecutionHandle: one started inference of a Session — its ids, its input, a way to cancel it, the single
 * place to wait for its end, and (being an InferenceStream) its events and text to pull with `for await`.
 */
import { type InferenceResult, inferenceResultOf } from "../engine/engine.ts";
import { EventQueue } from "../stream/event-queue.ts";
import { cancellationReason, InferenceStream } from "../stream/inference-stream.ts";
import type { ToolLoopResult } from "../toolloop/loop.ts";
import type { Turn } from "../turns/types.ts";

export { cancellationReason };

/**
 * What a Session inference's `result` resolves with: the final Turn, its last inference result, the loop.
 *
 * @example
 * const { result, loop } = await session.startInference().result;
 * if (loop.status === "max_iterations") warn(`stopped after ${loop.iterations} steps`);
 */
export interface SessionInferenceOutcome {
  turn: Turn;
  /** The result of the last inference of the run (finish class, usage, cost…). */
  result: InferenceResult;
  /** How the tool loop ended (`completed`, `interrupted`, `max_iterations`, `stopped`) and its iterations. */
  loop: ToolLoopResult;
}

/**
 * A running (or queued, or finished) inference, and an {@link InferenceStream} of every event of its run (each
 * inference, tool execution and result of the tool loop, in order).
 *
 * `wait()` resolves with the final Turn — also when cancelled: then it is the partial Turn, with finish class
 * `interrupted` — and rejects only when the inference fails. `result` gives the inference result and the tool
 * loop outcome as well. Call `wait()` only when you will not iterate: it stops keeping events.
 *
 * @example
 * const handle = session.startInference();
 * for await (const text of handle.text()) process.stdout.write(text);
 * const { result, loop } = await handle.result;
 */
export class ExecutionHandle extends InferenceStream<SessionInferenceOutcome> {
  readonly sessionId: string;
  readonly inferenceId: string;
  readonly signal: AbortSignal;
  #input: Turn;
  #running = true;
  #attached = false;
  readonly #attach: (run: Promise<ToolLoopResult>) => void;

  constructor(sessionId: string, inferenceId: string, input: Turn, signal?: AbortSignal, capacity?: number) {
    const controller = new AbortController();
    const queue = new EventQueue(capacity);
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    let attach!: (run: Promise<ToolLoopResult>) => void;
    // Resolved with the run promise once the Session starts it (resolving with a promise adopts its outcome).
    const result = new Promise<ToolLoopResult>((resolve) => {
      attach = resolve;
    }).then(
      (loop): SessionInferenceOutcome => {
        queue.close();
        return { turn: loop.turn, result: inferenceResultOf(loop.turn, combined.aborted), loop };
      },
      (error: unknown) => {
        queue.close({ error });
        throw error;
      },
    );
    super(queue, controller, result);
    this.sessionId = sessionId;
    this.inferenceId = inferenceId;
    this.#input = input;
    this.signal = combined;
    this.#attach = attach;
    combined.addEventListener("abort", () => queue.release(), { once: true });
  }

  /** The Turn this inference runs on (for a queued inference, updated when it starts). */
  get input(): Turn {
    return this.#input;
  }

  /** True until the inference has ended (successfully, cancelled or failed). */
  get running(): boolean {
    return this.#running;
  }

  /** Whether `cancel()` was called or the caller's signal aborted. */
  get cancelled(): boolean {
    return this.signal.aborted;
  }

  /**
   * Waits for the end: the final Turn (partial when cancelled). Rejects when the inference failed. When no loop
   * reads the events, they stop being kept (iterating afterwards throws).
   */
  async wait(): Promise<Turn> {
    if (!this.queue.reading) this.queue.detach();
    return (await this.result).turn;
  }

  /** @internal The sink and flow gate the Session adds to this inference's context. */
  get eventQueue(): EventQueue {
    return this.queue;
  }

  /** @internal Called by the Session with the run promise. */
  attach(run: Promise<ToolLoopResult>): void {
    if (this.#attached) return;
    this.#attached = true;
    const ended = (): void => {
      this.#running = false;
    };
    run.then(ended, ended);
    this.#attach(run);
  }

  /** @internal Called by the Session when a queued inference starts, with the Turn it runs on. */
  started(input: Turn): void {
    this.#input = input;
  }
}
