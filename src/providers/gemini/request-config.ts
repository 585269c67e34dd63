/**
 * The `generationConfig` of a Gemini request: sampling, limits, stop sequences, seed, Gemini's own generation
 * settings, the thinking config (a budget or a Gemini 3 thinking level) and structured output as a JSON schema.
 */
import type { InferenceConfig, ReasoningEffort } from "../../engine/inference-config.ts";
import type { StructuredOutputConfig } from "../../engine/structured-output.ts";
import type { JsonObject } from "../../turns/json.ts";
import type { GeminiInferenceConfig } from "./descriptor.ts";

/** Gemini 3 `thinkingLevel` for a reasoning effort; `none` becomes `thinkingBudget: 0`. */
const THINKING_LEVELS: Record<ReasoningEffort, string | undefined> = {
  none: undefined,
  minimal: "minimal",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "high",
};

function thinkingConfig(inference: InferenceConfig, warnings: string[]): JsonObject | undefined {
  const config: JsonObject = {};
  if (inference.thinkingBudget !== undefined) {
    config.thinkingBudget = inference.thinkingBudget;
    if (inference.reasoningEffort !== undefined) {
      warnings.push("reasoningEffort not sent: thinkingBudget is set (Gemini accepts only one of them)");
    }
  } else if (inference.reasoningEffort === "none") {
    config.thinkingBudget = 0;
  } else if (inference.reasoningEffort !== undefined) {
    config.thinkingLevel = THINKING_LEVELS[inference.reasoningEffort] ?? "high";
  }
  if (inference.includeThoughts !== undefined) config.includeThoughts = inference.includeThoughts;
  return Object.keys(config).length > 0 ? config : undefined;
}

/**
 * The generation config of one request (empty when nothing is set); warnings for settings Gemini cannot take.
 *
 * @example
 * generationConfig({ temperature: 0.2 }, {}, undefined, warnings) // { temperature: 0.2 }
 */
export function generationConfig(
  inference: InferenceConfig,
  gemini: GeminiInferenceConfig,
  structured: StructuredOutputConfig | undefined,
  warnings: string[],
): JsonObject {
  const config: JsonObject = {};
  if (inference.temperature !== undefined) config.temperature = inference.temperature;
  if (inference.topP !== undefined) config.topP = inference.topP;
  if (gemini.topK !== undefined) config.topK = gemini.topK;
  if (inference.maxResponseTokens !== undefined) config.maxOutputTokens = inference.maxResponseTokens;
  if (inference.stop !== undefined && inference.stop.length > 0) config.stopSequences = inference.stop;
  if (inference.seed !== undefined) config.seed = inference.seed;
  if (gemini.presencePenalty !== undefined) config.presencePenalty = gemini.presencePenalty;
  if (gemini.frequencyPenalty !== undefined) config.frequencyPenalty = gemini.frequencyPenalty;
  if (gemini.responseModalities !== undefined) config.responseModalities = gemini.responseModalities;
  if (gemini.mediaResolution !== undefined) config.mediaResolution = gemini.mediaResolution;
  const thinking = thinkingConfig(inference, warnings);
  if (thinking) config.thinkingConfig = thinking;
  if (structured) {
    config.responseMimeType = "application/json";
    config.responseJsonSchema = structured.schema as JsonObject;
  }
  return config;
}
