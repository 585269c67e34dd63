/**
 * Ollama-only settings: engine defaults (`createOllamaEngine({ ollama })`) with a per-turn override in Turn.data
 * (`geppetto.ollama_inference_config@v1`), resolved per field like the provider-neutral InferenceConfig.
 */
import type * as Zod from "zod";
import { mergeConfig } from "../../engine/inference-config.ts";
import { turnDataKey } from "../../turns/keys.ts";
import { lazy, loadZod } from "../../turns/lazy-modules.ts";
import type { Turn } from "../../turns/types.ts";

function buildSchema(z: typeof Zod) {
  return z.object({
    topK: z.number().int().positive().optional(),
    /** Context window (`options.num_ctx`). */
    numCtx: z.number().int().positive().optional(),
    /** How long the model stays loaded after the request (`keep_alive`: "5m", "1h", seconds, or -1). */
    keepAlive: z.union([z.string(), z.number()]).optional(),
    /**
     * Any other model options, sent in `options` as they are (`repeat_penalty`, `min_p`, `num_gpu`, …). Fields
     * set from the InferenceConfig win over the same names here.
     */
    options: z.record(z.string(), z.json()).optional(),
  });
}

/**
 * The zod schema of the Ollama settings that have no provider-neutral field, built on first use (importing the
 * Ollama engine does not load zod).
 *
 * @example
 * ollamaInferenceConfigSchema().parse({ numCtx: 8192, keepAlive: "10m", options: { repeat_penalty: 1.1 } })
 */
export const ollamaInferenceConfigSchema: () => ReturnType<typeof buildSchema> = lazy(() =>
  buildSchema(loadZod()),
);
/** Ollama settings that have no provider-neutral field (see {@link ollamaInferenceConfigSchema}). */
export type OllamaInferenceConfig = Zod.infer<ReturnType<typeof buildSchema>>;

/**
 * Turn.data: Ollama settings for this turn.
 *
 * @example
 * const next = KeyOllamaInferenceConfig.set(turn, { numCtx: 32768 });
 */
export const KeyOllamaInferenceConfig = turnDataKey(
  "geppetto",
  "ollama_inference_config",
  1,
  ollamaInferenceConfigSchema,
);

/**
 * The effective Ollama config of a turn (Turn.data > engine defaults, per field).
 *
 * @example
 * resolveOllamaInferenceConfig(turn, { numCtx: 8192 }).numCtx // 8192 unless the turn sets its own
 */
export function resolveOllamaInferenceConfig(
  turn: Turn,
  engineDefaults?: OllamaInferenceConfig,
): OllamaInferenceConfig {
  return mergeConfig(KeyOllamaInferenceConfig.get(turn), engineDefaults);
}
