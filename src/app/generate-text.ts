/**
 * One call for an answer: `generateText` waits for it, `streamText` streams it. Both take a model (an Engine
 * or a `"provider:model"` id), a prompt (or messages, or a Turn), and optionally tools (the tool loop runs
 * while the model calls them, with step control) and guardrails.
 */
import type { RunContext } from "../events/context.ts";
import { DEFAULT_STREAM_CAPACITY, EventQueue } from "../stream/event-queue.ts";
import { InferenceStream } from "../stream/inference-stream.ts";
import type { Turn } from "../turns/types.ts";
import type { CallOptions, GenerateTextResult } from "./run.ts";

/**
 * Generates an answer. With `tools`, the tool loop runs until the model answers without calling one (or
 * `maxSteps`, `stopWhen`, a guardrail or `signal` ends it); `steps` lists each step's calls, results, usage and
 * finish class. Rejects with the engine's `GeppettoError` (its `turn` keeps the partial output) or a
 * `GuardrailTrippedError`; a cancelled call resolves with the partial answer (status `interrupted`).
 *
 * @example
 * import { generateText } from "geppetto";
 * const { text, usage, cost } = await generateText({ model: "openai:gpt-4o-mini", prompt: "Say hello" });
 */
export async function generateText(options: CallOptions): Promise<GenerateTextResult> {
  // The call's machinery (the tool loop, guardrails, model ids) loads on the first call, not with the core.
  const { callContext, inputTurn, runCall } = await import("./run.ts");
  return runCall(options, inputTurn(options), callContext(options));
}

/**
 * Options of {@link streamText}: those of `generateText`, plus the stream's capacity.
 *
 * @example
 * streamText({ model: "openai:gpt-4o-mini", prompt: "Hi", capacity: 64 });
 */
export interface StreamTextOptions extends CallOptions {
  /** Events the reader may fall behind before the engine waits (default 256). */
  capacity?: number;
}

/**
 * Streams an answer: an `InferenceStream` whose events (or `text()`) arrive as the model writes, across every
 * step of the tool loop, and whose `result` resolves with what `generateText` returns. Breaking out of the loop
 * or `cancel()` stops the call; a streaming output guardrail stops it as soon as it trips.
 *
 * @example
 * const stream = streamText({ model: "anthropic:claude-sonnet-4-20250514", prompt: "Tell me a story" });
 * for await (const piece of stream.text()) process.stdout.write(piece);
 * const { usage } = await stream.result;
 */
export function streamText(options: StreamTextOptions): InferenceStream<GenerateTextResult> {
  return streamCall(options, async (turn, ctx) => (await import("./run.ts")).runCall(options, turn, ctx));
}

/**
 * Runs `run` on the call's input Turn in a context whose events feed an {@link InferenceStream} (bounded, with
 * back-pressure), whose `result` is what `run` resolves with. Shared by `streamText` and `streamObject`.
 */
export function streamCall<R extends { turn: Turn }>(
  options: StreamTextOptions,
  run: (turn: Turn, ctx: RunContext) => Promise<R>,
): InferenceStream<R> {
  const queue = new EventQueue(options.capacity ?? DEFAULT_STREAM_CAPACITY);
  const controller = new AbortController();
  const result = (async () => {
    const { callContext, inputTurn } = await import("./run.ts");
    const turn = inputTurn(options);
    const ctx = callContext(options).withSignal(controller.signal).withSinks(queue).withFlowGate(queue);
    ctx.signal.addEventListener("abort", () => queue.release(), { once: true });
    return run(turn, ctx);
  })();
  const settled = result.then(
    (outcome) => {
      queue.close();
      return outcome;
    },
    (error: unknown) => {
      queue.close({ error });
      throw error;
    },
  );
  return new InferenceStream(queue, controller, settled);
}
