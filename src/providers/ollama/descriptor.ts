/**
 * The Ollama provider (native `/api/chat`) as the registry knows it (no engine code: that loads on first use).
 */
import { defineProvider, type EngineFactory } from "../../provider-kit/descriptor.ts";
import { ollamaInferenceConfigSchema } from "./config.ts";

/** Where a local Ollama listens by default. */
export const OLLAMA_DEFAULT_BASE_URL = "http://127.0.0.1:11434";

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
  protocol: "ollama",
  load: async () => (await import("./engine.ts")).createOllamaEngine as EngineFactory,
});
