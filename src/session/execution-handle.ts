/**
 * ExecutionHandle: one started inference of a Session — its ids, its input, a way to cancel it, and the single
 * place to wait for its end.
 */
import { GeppettoError } from "../engine/errors.ts";
import type { ToolLoopResult } from "../toolloop/loop.ts";
import type { Turn } from "../turns/types.ts";

/**
 * The abort reason of a cancelled inference (`isAbort` recognizes it by its code).
 *
 * @example
 * controller.abort(cancellationReason("user pressed stop"));
 */
export function cancellationReason(message = "inference cancelled"): GeppettoError {
  return new GeppettoError(message, { code: "aborted", fault: "caller" });
}

/**
 * A running (or queued, or finished) inference.
 *
 * `wait()` resolves with the final Turn — also when cancelled: then it is the partial Turn, with finish class
 * `interrupted` — and rejects only when the inference fails. `result()` gives the tool loop outcome as well.
 *
 * @example
 * const handle = session.startInference();
 * setTimeout(() => handle.cancel(), 1_000);
 * const turn = await handle.wait(); // partial if cancelled
 */
export class ExecutionHandle {
  readonly sessionId: string;
  readonly inferenceId: string;
  readonly #controller = new AbortController();
  readonly signal: AbortSignal;
  #input: Turn;
  #running = true;
  #outcome: Promise<ToolLoopResult> | undefined;
  readonly #attached: Promise<ToolLoopResult>;
  #attach!: (run: Promise<ToolLoopResult>) => void;

  constructor(sessionId: string, inferenceId: string, input: Turn, signal?: AbortSignal) {
    this.sessionId = sessionId;
    this.inferenceId = inferenceId;
    this.#input = input;
    this.signal = signal ? AbortSignal.any([signal, this.#controller.signal]) : this.#controller.signal;
    this.#attached = new Promise<Promise<ToolLoopResult>>((resolve) => {
      this.#attach = resolve;
    }).then((run) => run);
    this.#attached.catch(() => {});
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

  /** Cancels the inference. Harmless when called twice or after the end. */
  cancel(reason = "inference cancelled"): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(cancellationReason(reason));
  }

  /** Waits for the end: the final Turn (partial when cancelled). Rejects when the inference failed. */
  async wait(): Promise<Turn> {
    return (await this.result()).turn;
  }

  /** Waits for the end with the tool loop outcome (`completed`, `interrupted`, `max_iterations`, `stopped`). */
  result(): Promise<ToolLoopResult> {
    return this.#attached;
  }

  /** @internal Called by the Session with the run promise. */
  attach(run: Promise<ToolLoopResult>): void {
    if (this.#outcome) return;
    this.#outcome = run;
    run.then(
      () => {
        this.#running = false;
      },
      () => {
        this.#running = false;
      },
    );
    this.#attach(run);
  }

  /** @internal Called by the Session when a queued inference starts, with the Turn it runs on. */
  started(input: Turn): void {
    this.#input = input;
  }
}
