/**
 * The Ollama provider (native `/api/chat`) as the registry knows it (no engine code: that loads on first use).
 *
 * Also its settings block (Ollama-only settings: engine defaults, `createOllamaEngine({ ollama })`, with a
 * per-turn override in Turn.data, `geppetto.ollama_inference_config@v1`, resolved per field like the
 * provider-neutral InferenceConfig) and the keys the engine writes: the call ids Ollama gave, and the
 * server's timings of the inference.
 */
import type * as Zod from "zod";
import { mergeConfig } from "../../engine/inference-config.ts";
import { defineProvider, defineWireProtocol, type EngineFactory } from "../../provider-kit/descriptor.ts";
import { blockMetadataKey, turnDataKey, turnMetadataKey } from "../../turns/keys.ts";
import { lazy, loadZod } from "../../turns/lazy-modules.ts";
import type { Turn } from "../../turns/types.ts";

/** Where a local Ollama listens by default. */
export const OLLAMA_DEFAULT_BASE_URL = "http://127.0.0.1:11434";

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

/** The provider name the engine stamps on events, blocks and results. */
export const OLLAMA_PROVIDER = "ollama";

/**
 * The tool call id Ollama itself gave (newer servers send `tool_calls[].id`); sent back on the call. Calls that
 * came without one get a generated id (`ollama_<random>_<n>`) that stays local.
 *
 * @example
 * KeyOllamaCallId.get(toolCallBlock) // "call_mo1wm122"
 */
export const KeyOllamaCallId = blockMetadataKey<string>("ollama", "call_id", 1);

/** The server-side timings of the latest inference, in milliseconds. */
export interface OllamaTimings {
  totalMs?: number;
  loadMs?: number;
  promptEvalMs?: number;
  evalMs?: number;
  /** Output tokens per second of generation (`eval_count / eval_duration`). */
  tokensPerSecond?: number;
}

/**
 * Turn metadata: the server's timings of the latest inference (from `total_duration`, `load_duration`,
 * `prompt_eval_duration`, `eval_duration`, given in nanoseconds).
 *
 * @example
 * KeyOllamaTimings.get(turn)?.tokensPerSecond // 208.3
 */
export const KeyOllamaTimings = turnMetadataKey<OllamaTimings>("ollama", "timings", 1);

/**
 * The Ollama `/api/chat` wire: the local provider server's modules for it and the contract suite's reader, loaded only when
 * a server starts or a suite runs.
 *
 * @example
 * OLLAMA_WIRE.name // "ollama"
 */
export const OLLAMA_WIRE = defineWireProtocol({
  name: "ollama",
  server: async () => {
    const [wire, embeddings] = await Promise.all([
      import("../../testing/provider-server/ollama.ts"),
      import("../../testing/provider-server/embeddings.ts"),
    ]);
    return [wire.ollamaProtocol, embeddings.ollamaEmbeddingsProtocol];
  },
  contract: async () => (await import("../contract/ollama.ts")).ollamaContract,
});

/**
 * `--ai-api-type ollama`: no key needed for a local server (`OLLAMA_API_KEY` for Ollama Cloud).
 *
 * @example
 * ollamaProvider.apiKey.required // false
 */
export const ollamaProvider = defineProvider({
  id: "ollama",
  aliases: [],
  description: "Ollama (native API)",
  settingsKey: "ollama",
  apiKey: { variables: ["OLLAMA_API_KEY"], required: false },
  baseURL: { default: OLLAMA_DEFAULT_BASE_URL, variables: ["OLLAMA_HOST"] },
  defaultModel: "llama3.2",
  prices: {},
  config: { key: "ollama", schema: ollamaInferenceConfigSchema },
  protocol: OLLAMA_WIRE,
  load: async () => (await import("./engine.ts")).createOllamaEngine as EngineFactory,
});
