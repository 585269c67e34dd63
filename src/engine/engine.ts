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
import { publish, type RunContext } from "../events/context.ts";
import type { Usage } from "../events/types.ts";
import { pendingToolCalls } from "../turns/builders.ts";
import { turnMetadataKey } from "../turns/keys.ts";
import type { Turn } from "../turns/types.ts";
import { ModelOutputError } from "./errors.ts";
import { resolveStructuredOutput, type StructuredOutputConfig } from "./structured-output.ts";
import { checkStructuredOutput } from "./structured-validation.ts";
import { formatIssues, type ValidationIssue } from "./validation.ts";

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
  /**
   * Set when structured output was requested: whether the answer met the schema; when not, the message and
   * every issue with its path (`$.answer`), in the validation shape used everywhere.
   */
  structuredOutput?: { valid: boolean; error?: string; issues?: ValidationIssue[] };
  /** The error message when `finishClass` is `error`. */
  error?: string;
}

/** Turn metadata: the inference result of the latest inference. */
export const KeyInferenceResult = turnMetadataKey<InferenceResult>("geppetto", "inference_result", 1);

/** Options of {@link runInferenceWithResult}. */
export interface RunInferenceOptions {
  /** The engine's default structured output config (the turn's own config wins). */
  structuredOutput?: StructuredOutputConfig;
}

/**
 * Runs an inference and returns the Turn with its normalized result. Engines that record no result (a custom
 * engine, say) get a minimal one synthesized from the Turn, so `result` is always there.
 *
 * When structured output is in force (on the turn, or `options.structuredOutput`) and the inference completed,
 * the answer text is parsed and validated against the schema: with `requireValid` a broken answer rejects with
 * a {@link ModelOutputError} (code `invalid_structured_output`, the Turn attached); otherwise a `log` warning
 * event is published and `result.structuredOutput` is `{ valid: false, error }`. A valid answer sets
 * `{ valid: true }`. Interrupted or tool-calling inferences are not checked.
 *
 * @example
 * const { turn, result } = await runInferenceWithResult(engine, input, ctx);
 * if (result.finishClass === "max_tokens") warn("answer was cut short");
 * if (result.structuredOutput?.valid === false) warn(result.structuredOutput.error);
 */
export async function runInferenceWithResult(
  engine: Engine,
  turn: Turn,
  ctx: RunContext,
  options: RunInferenceOptions = {},
): Promise<{ turn: Turn; result: InferenceResult }> {
  const out = await engine.runInference(turn, ctx);
  return validateStructured(turn, out, inferenceResultOf(out, ctx.signal.aborted), ctx, options);
}

/**
 * The inference result recorded on a Turn, or a minimal one synthesized from it (for engines that record none):
 * `interrupted` when `aborted`, `tool_calls_pending` when tool calls wait for results, `completed` otherwise.
 *
 * @example
 * inferenceResultOf(turn).finishClass // "completed"
 */
export function inferenceResultOf(turn: Turn, aborted = false): InferenceResult {
  return (
    KeyInferenceResult.get(turn) ?? {
      provider: "unknown",
      finishClass: aborted
        ? "interrupted"
        : pendingToolCalls(turn).length > 0
          ? "tool_calls_pending"
          : "completed",
      truncated: aborted,
    }
  );
}

function validateStructured(
  input: Turn,
  out: Turn,
  result: InferenceResult,
  ctx: RunContext,
  options: RunInferenceOptions,
): { turn: Turn; result: InferenceResult } {
  const { config } = resolveStructuredOutput(out, options.structuredOutput);
  const checkable = result.finishClass === "completed" || result.finishClass === "max_tokens";
  if (!config || !checkable) return { turn: KeyInferenceResult.set(out, result), result };
  const before = new Set(input.blocks.map((block) => block.id));
  let text = "";
  for (const block of out.blocks)
    if (block.kind === "llm_text" && !before.has(block.id)) text += block.payload.text;
  const check = checkStructuredOutput(text, config);
  const notJson = !check.ok && check.issues[0]?.code === "not_json";
  const error = check.ok
    ? undefined
    : notJson
      ? `answer is ${check.issues[0]?.message}`
      : `answer breaks schema "${config.name}": ${formatIssues(check.issues)}`;
  const structuredOutput =
    check.ok || error === undefined ? { valid: true } : { valid: false, error, issues: check.issues };
  const checked: InferenceResult = { ...result, structuredOutput };
  const checkedTurn = KeyInferenceResult.set(out, checked);
  if (!check.ok) {
    if (config.requireValid) {
      throw new ModelOutputError(error ?? "invalid structured output", {
        code: "invalid_structured_output",
        turn: checkedTurn,
      });
    }
    publish(ctx, {
      type: "log",
      level: "warn",
      message: `structured output is invalid: ${error}`,
      fields: { schema: config.name },
    });
  }
  return { turn: checkedTurn, result: checked };
}
