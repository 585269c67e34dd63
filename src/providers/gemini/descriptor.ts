/**
 * The Gemini provider as the registry knows it (no engine code: that loads on first use).
 */
import { defineProvider, type EngineFactory } from "../../provider-kit/descriptor.ts";
import { geminiInferenceConfigSchema } from "./config.ts";

/** The public Gemini API endpoint. */
export const GEMINI_DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta";

/**
 * `--ai-api-type gemini`.
 *
 * @example
 * geminiProvider.apiKey.variables // ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
 */
export const geminiProvider = defineProvider({
  id: "gemini",
  aliases: [],
  description: "Google Gemini",
  settingsKey: "gemini",
  apiKey: { variables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"], required: true },
  baseURL: { default: GEMINI_DEFAULT_BASE_URL, variables: ["GEMINI_BASE_URL"] },
  defaultModel: "gemini-2.5-flash",
  prices: {},
  config: { key: "gemini", schema: geminiInferenceConfigSchema },
  protocol: "gemini",
  load: async () => (await import("./engine.ts")).createGeminiEngine as EngineFactory,
});
