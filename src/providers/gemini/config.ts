/**
 * Gemini-only settings: engine defaults (`createGeminiEngine({ gemini })`) with a per-turn override in Turn.data
 * (`geppetto.gemini_inference_config@v1`), resolved per field like the provider-neutral InferenceConfig.
 */
import type * as Zod from "zod";
import { mergeConfig } from "../../engine/inference-config.ts";
import { turnDataKey } from "../../turns/keys.ts";
import { lazy, loadZod } from "../../turns/lazy-modules.ts";
import type { Turn } from "../../turns/types.ts";

function buildSchema(z: typeof Zod) {
  return z.object({
    topK: z.number().int().positive().optional(),
    presencePenalty: z.number().optional(),
    frequencyPenalty: z.number().optional(),
    /** Sent as `safetySettings`, e.g. `[{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }]`. */
    safetySettings: z.array(z.record(z.string(), z.json())).optional(),
    /** A cached content name (`cachedContents/…`). */
    cachedContent: z.string().optional(),
    /** `responseModalities`, e.g. `["TEXT", "IMAGE"]`. */
    responseModalities: z.array(z.string()).optional(),
    mediaResolution: z.string().optional(),
    /** Ask for streamed function-call arguments (`partialArgs`; Vertex AI and newer models). */
    streamFunctionCallArguments: z.boolean().optional(),
  });
}

/**
 * The zod schema of the Gemini settings that have no provider-neutral field, built on first use (importing the
 * Gemini engine does not load zod).
 *
 * @example
 * geminiInferenceConfigSchema().parse({ topK: 40, cachedContent: "cachedContents/abc" })
 */
export const geminiInferenceConfigSchema: () => ReturnType<typeof buildSchema> = lazy(() =>
  buildSchema(loadZod()),
);
/** Gemini settings that have no provider-neutral field (see {@link geminiInferenceConfigSchema}). */
export type GeminiInferenceConfig = Zod.infer<ReturnType<typeof buildSchema>>;

/**
 * Turn.data: Gemini settings for this turn.
 *
 * @example
 * const next = KeyGeminiInferenceConfig.set(turn, { streamFunctionCallArguments: true });
 */
export const KeyGeminiInferenceConfig = turnDataKey(
  "geppetto",
  "gemini_inference_config",
  1,
  geminiInferenceConfigSchema,
);

/**
 * The effective Gemini config of a turn (Turn.data > engine defaults, per field).
 *
 * @example
 * resolveGeminiInferenceConfig(turn, { topK: 40 }).topK // 40 unless the turn sets its own
 */
export function resolveGeminiInferenceConfig(
  turn: Turn,
  engineDefaults?: GeminiInferenceConfig,
): GeminiInferenceConfig {
  return mergeConfig(KeyGeminiInferenceConfig.get(turn), engineDefaults);
}
