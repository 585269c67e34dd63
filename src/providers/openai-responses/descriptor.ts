/**
 * The OpenAI Responses provider as the registry knows it (no engine code: that loads on first use).
 */
import { engineConfigSchemas } from "../../engine/inference-config.ts";
import { defineProvider, type EngineFactory } from "../../provider-kit/descriptor.ts";
import { OPENAI_DEFAULT_BASE_URL, OPENAI_PRICES } from "../openai/descriptor.ts";

/**
 * `--ai-api-type openai-responses`: shares `api.openai` (key and endpoint) and the `openai` settings block.
 *
 * @example
 * openaiResponsesProvider.settingsKey // "openai"
 */
export const openaiResponsesProvider = defineProvider({
  id: "openai-responses",
  aliases: [],
  description: "OpenAI Responses",
  settingsKey: "openai",
  apiKey: { variables: ["OPENAI_API_KEY"], required: true },
  baseURL: { default: OPENAI_DEFAULT_BASE_URL, variables: ["OPENAI_BASE_URL"] },
  defaultModel: "o4-mini",
  prices: OPENAI_PRICES,
  config: { key: "openai", schema: () => engineConfigSchemas().openaiInferenceConfig },
  protocol: "openai-responses",
  load: async () => (await import("./engine.ts")).createOpenAIResponsesEngine as EngineFactory,
});
