/**
 * InferenceStream: one running inference seen three ways — an async iterable of its events, an async iterable
 * of its answer text, and a promise of its result — plus a way to cancel it. `streamInference` makes one from
 * an engine; a Session's `ExecutionHandle` is one too.
 */
import {
  type Engine,
  type InferenceResult,
  type RunInferenceOptions,
  runInferenceWithResult,
} from "../engine/engine.ts";
import { CallerError, GeppettoError } from "../engine/errors.ts";
import { RunContext } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";
import type { Turn } from "../turns/types.ts";
import { DEFAULT_STREAM_CAPACITY, EventQueue, type EventView } from "./event-queue.ts";

/**
 * The abort reason of a cancelled inference (`isAbort` recognizes it by its code, `aborted`).
 *
 * @example
 * controller.abort(cancellationReason("user pressed stop"));
 */
export function cancellationReason(message = "inference cancelled"): GeppettoError {
  return new GeppettoError(message, { code: "aborted", fault: "caller" });
}

/**
 * What `result` of {@link streamInference} resolves with: the output Turn and its normalized result.
 *
 * @example
 * const { turn, result }: InferenceOutcome = await stream.result;
 */
export interface InferenceOutcome {
  turn: Turn;
  result: InferenceResult;
}

const allEvents: EventView<GeppettoEvent> = (event) => event;
const textDeltas: EventView<string> = (event) => (event.type === "partial" ? event.delta : undefined);

/**
 * A running inference, read by pulling. Iterate it once — either its events or its `text()` — while `result`
 * settles as `runInference` does.
 *
 * - Pulling is lossless and bounded: when the reader falls `capacity` events behind, the engine stops reading
 *   the provider's HTTP body until the reader catches up.
 * - Breaking out of the loop (or `return`ing from it) cancels the inference; `result` then resolves with the
 *   partial Turn (finish class `interrupted`).
 * - When the inference fails, the loop ends by throwing its `GeppettoError` (after the `error` event), and
 *   `result` rejects with the same error, whose `turn` holds the partial output. A cancelled inference ends
 *   the loop normally after its `interrupt` event.
 * - Events are kept from the start, so a loop that begins a little later misses none; the bound applies once a
 *   loop reads. To wait for the result only, use `runInference` (or `ExecutionHandle.wait()`), which keeps none.
 *
 * @example
 * const stream = streamInference(engine, turn);
 * for await (const text of stream.text()) process.stdout.write(text);
 * const { turn: answered, result } = await stream.result;
 */
export class InferenceStream<R extends { turn: Turn } = InferenceOutcome>
  implements AsyncIterable<GeppettoEvent>
{
  /** The outcome: resolves on completion and on cancellation (partial Turn); rejects on failure. */
  readonly result: Promise<R>;
  readonly #queue: EventQueue;
  readonly #controller: AbortController;

  /** @internal Built by `streamInference` and the Session; `result` must close `queue` when it settles. */
  constructor(queue: EventQueue, controller: AbortController, result: Promise<R>) {
    this.#queue = queue;
    this.#controller = controller;
    this.result = result;
    result.catch(() => {});
  }

  /** Cancels the inference (harmless when called twice or after the end). */
  cancel(reason = "inference cancelled"): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(cancellationReason(reason));
  }

  /** Every event of the inference, in order. */
  [Symbol.asyncIterator](): AsyncIterator<GeppettoEvent> {
    return this.#reader(allEvents);
  }

  /**
   * The answer's text deltas only (the `delta` of each `partial` event).
   *
   * @example
   * let answer = "";
   * for await (const piece of stream.text()) answer += piece;
   */
  text(): AsyncIterable<string> {
    return this.#reader(textDeltas);
  }

  /** @internal The queue the producer publishes to. */
  protected get queue(): EventQueue {
    return this.#queue;
  }

  #reader<T>(view: EventView<T>): AsyncIterableIterator<T> {
    if (this.#queue.reading) {
      throw new CallerError("an InferenceStream can be iterated only once (its events or its text)", {
        code: "stream_already_read",
      });
    }
    if (this.#queue.detached) {
      throw new CallerError("this inference's events were not kept: iterate it before calling wait()", {
        code: "stream_not_kept",
      });
    }
    return this.#queue.reader(view, () => this.cancel("the stream's reader stopped"));
  }
}

/**
 * Options of {@link streamInference}.
 *
 * @example
 * streamInference(engine, turn, ctx, { capacity: 64, structuredOutput: { name: "person", schema } });
 */
export interface StreamInferenceOptions extends RunInferenceOptions {
  /** Events the reader may fall behind before the engine waits (default 256). */
  capacity?: number;
}

/**
 * Starts an inference and returns it as an {@link InferenceStream}. The context's own sinks still receive every
 * event; its signal still cancels.
 *
 * @example
 * const stream = streamInference(engine, turn, RunContext.background().withSinks(logger));
 * for await (const event of stream) {
 *   if (event.type === "partial") process.stdout.write(event.delta);
 *   if (event.type === "tool-call") console.log("wants", event.toolCall.name);
 * }
 * const { result } = await stream.result; // result.finishClass, result.usage…
 */
export function streamInference(
  engine: Engine,
  turn: Turn,
  ctx: RunContext = RunContext.background(),
  options: StreamInferenceOptions = {},
): InferenceStream {
  const queue = new EventQueue(options.capacity ?? DEFAULT_STREAM_CAPACITY);
  const controller = new AbortController();
  const run = ctx.withSignal(controller.signal).withSinks(queue).withFlowGate(queue);
  run.signal.addEventListener("abort", () => queue.release(), { once: true });
  const result = runInferenceWithResult(engine, turn, run, options).then(
    (outcome) => {
      queue.close();
      return outcome;
    },
    (error: unknown) => {
      queue.close({ error });
      throw error;
    },
  );
  return new InferenceStream(queue, controller, result);
}
