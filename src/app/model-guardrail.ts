/**
 * Guardrails that ask a model: the text to check goes to a (usually small, fast) model with your instructions,
 * which answers a typed verdict `{ tripped, reason }` through `generateObject`.
 */
import { generateObject } from "./generate-object.ts";
import type { GuardrailVerdict, InputGuardrail, OutputGuardrail } from "./guardrails.ts";
import type { ModelResolutionOptions, ModelSpecifier } from "./model-id.ts";

/**
 * Options of {@link modelInputGuardrail} and {@link modelOutputGuardrail}.
 *
 * @example
 * modelOutputGuardrail({ name: "polite", model: "openai:gpt-4o-mini", instructions: "The answer is polite." });
 */
export interface ModelGuardrailOptions {
  name: string;
  /** The model that judges (an Engine or a model id). */
  model: ModelSpecifier;
  /** What to check, in words: the model trips the guardrail when the text breaks it. */
  instructions: string;
  /** The judge's api type, when `model` is an Engine (see `generateObject`). */
  apiType?: string;
  resolution?: ModelResolutionOptions;
}

const VERDICT_SCHEMA = {
  type: "object",
  properties: {
    tripped: { type: "boolean", description: "true when the text breaks the rule" },
    reason: { type: "string", description: "why, in one sentence" },
  },
  required: ["tripped", "reason"],
  additionalProperties: false,
};

async function judge(
  options: ModelGuardrailOptions,
  text: string,
  signal: AbortSignal,
): Promise<GuardrailVerdict> {
  const { object } = await generateObject({
    model: options.model,
    schema: VERDICT_SCHEMA,
    schemaName: "verdict",
    system:
      `You check text against a rule and answer with a verdict. Rule: ${options.instructions}\n` +
      "Set tripped to true only when the text breaks the rule.",
    prompt: `Text to check:\n<text>\n${text}\n</text>`,
    signal,
    ...(options.apiType ? { apiType: options.apiType } : {}),
    ...(options.resolution ? { resolution: options.resolution } : {}),
  });
  const verdict = object as { tripped: boolean; reason: string };
  return { tripped: verdict.tripped, reason: verdict.reason };
}

/**
 * An input guardrail judged by a model.
 *
 * @example
 * const onTopic = modelInputGuardrail({ name: "on-topic", model: "openai:gpt-4o-mini", instructions: "The question is about cooking." });
 * await generateText({ model, prompt, inputGuardrails: [onTopic] });
 */
export function modelInputGuardrail(options: ModelGuardrailOptions): InputGuardrail {
  return { name: options.name, check: ({ text }, ctx) => judge(options, text, ctx.signal) };
}

/**
 * An output guardrail judged by a model, on the final answer.
 *
 * @example
 * const polite = modelOutputGuardrail({ name: "polite", model: "fast", instructions: "The answer is polite." });
 */
export function modelOutputGuardrail(options: ModelGuardrailOptions): OutputGuardrail {
  return { name: options.name, check: ({ text }, ctx) => judge(options, text, ctx.signal) };
}
