/**
 * The engine contract. Types only, plus the normalized inference result and the helper that guarantees it.
 *
 * An engine runs one inference on a Turn: Turn to wire, stream, wire back to Blocks, publishing events to the
 * run context's sinks as they arrive. It returns a new Turn and never mutates its input. It does no tool
 * execution and no looping (that is the tool loop's job).
 *
 * Cancellation: when `ctx.signal` aborts, an engine publishes an `interrupt` event and resolves with the partial
 * Turn (finish class `interrupted`); it does not reject. Failures reject with a GeppettoError whose `turn` holds
 * the partial output.
 */
import type { RunContext } from "../events/context.ts";
import type { Usage } from "../events/types.ts";
import { pendingToolCalls } from "../turns/builders.ts";
import { turnMetadataKey } from "../turns/keys.ts";
import type { Turn } from "../turns/types.ts";

/**
 * Runs one inference.
 *
 * @example
 * const out = await engine.runInference(turn, RunContext.background().withSinks(printer));
 */
export interface Engine {
  runInference(turn: Turn, ctx: RunContext): Promise<Turn>;
}

/** How an inference ended, normalized across providers. */
export type FinishClass =
  | "completed"
  | "max_tokens"
  | "tool_calls_pending"
  | "interrupted"
  | "error"
  | "unknown";

/** Money spent on one inference, from the model's prices (see settings `modelInfo`). */
export interface InferenceCost {
  currency: "USD";
  input: number;
  output: number;
  cached?: number;
  total: number;
}

/** The normalized outcome of one inference, written to `turn.metadata["geppetto.inference_result@v1"]`. */
export interface InferenceResult {
  provider: string;
  model?: string;
  /** The provider's own stop reason (`stop`, `end_turn`, `MAX_TOKENS`, `length`…). */
  stopReason?: string;
  finishClass: FinishClass;
  /** True when output was cut short (max tokens, or interrupted mid-answer). */
  truncated: boolean;
  usage?: Usage;
  durationMs?: number;
  requestId?: string;
  responseId?: string;
  cost?: InferenceCost;
  /** Set when structured output was requested: whether the answer met the schema. */
  structuredOutput?: { valid: boolean; error?: string };
  /** The error message when `finishClass` is `error`. */
  error?: string;
}

/** Turn metadata: the inference result of the latest inference. */
export const KeyInferenceResult = turnMetadataKey<InferenceResult>("geppetto", "inference_result", 1);

/**
 * Runs an inference and returns the Turn with its normalized result. Engines that record no result (a custom
 * engine, say) get a minimal one synthesized from the Turn, so `result` is always there.
 *
 * @example
 * const { turn, result } = await runInferenceWithResult(engine, input, ctx);
 * if (result.finishClass === "max_tokens") warn("answer was cut short");
 */
export async function runInferenceWithResult(
  engine: Engine,
  turn: Turn,
  ctx: RunContext,
): Promise<{ turn: Turn; result: InferenceResult }> {
  const out = await engine.runInference(turn, ctx);
  const recorded = KeyInferenceResult.get(out);
  if (recorded) return { turn: out, result: recorded };
  const result: InferenceResult = {
    provider: "unknown",
    finishClass: ctx.signal.aborted
      ? "interrupted"
      : pendingToolCalls(out).length > 0
        ? "tool_calls_pending"
        : "completed",
    truncated: ctx.signal.aborted,
  };
  return { turn: KeyInferenceResult.set(out, result), result };
}
