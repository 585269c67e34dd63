/**
 * The OpenAI Chat Completions provider as the registry knows it (no engine code: that loads on first use).
 */
import { engineConfigSchemas } from "../../engine/inference-config.ts";
import { defineProvider, type EngineFactory, type ModelPrices } from "../../provider-kit/descriptor.ts";

/** The public OpenAI endpoint. */
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * OpenAI's published prices (US dollars per million tokens, 2025) of the models geppetto defaults to.
 *
 * @example
 * OPENAI_PRICES["gpt-4o-mini"]?.inputPerMillion // 0.15
 */
export const OPENAI_PRICES: Readonly<Record<string, ModelPrices>> = {
  "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6, cachedInputPerMillion: 0.075 },
  "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 },
  "o4-mini": { inputPerMillion: 1.1, outputPerMillion: 4.4, cachedInputPerMillion: 0.275 },
};

/**
 * `--ai-api-type openai` (also `openai-compatible`, which `--ai-profile` names a server profile of).
 *
 * @example
 * openaiProvider.defaultModel // "gpt-4o-mini"
 */
export const openaiProvider = defineProvider({
  id: "openai",
  aliases: ["openai-compatible"],
  description: "OpenAI Chat Completions",
  settingsKey: "openai",
  apiKey: { variables: ["OPENAI_API_KEY"], required: true },
  baseURL: { default: OPENAI_DEFAULT_BASE_URL, variables: ["OPENAI_BASE_URL"] },
  defaultModel: "gpt-4o-mini",
  prices: OPENAI_PRICES,
  config: { key: "openai", schema: () => engineConfigSchemas().openaiInferenceConfig },
  protocol: "openai-chat",
  load: async () => (await import("./engine.ts")).createOpenAIChatEngine as EngineFactory,
});
