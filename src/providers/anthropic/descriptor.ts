/**
 * The Anthropic provider as the registry knows it (no engine code: that loads on first use). Its settings keep
 * their historical name `claude` (`api.claude`, the `claude:` block), which is also an alias of the provider.
 */
import { engineConfigSchemas } from "../../engine/inference-config.ts";
import { defineProvider, type EngineFactory } from "../../provider-kit/descriptor.ts";

/** The public Anthropic endpoint (the engine appends `/v1/messages`). */
export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/**
 * `--ai-api-type anthropic` (or `claude`).
 *
 * @example
 * anthropicProvider.aliases // ["claude"]
 */
export const anthropicProvider = defineProvider({
  id: "anthropic",
  aliases: ["claude"],
  description: "Anthropic Messages",
  settingsKey: "claude",
  apiKey: { variables: ["ANTHROPIC_API_KEY"], required: true },
  baseURL: { default: ANTHROPIC_DEFAULT_BASE_URL, variables: ["ANTHROPIC_BASE_URL"] },
  defaultModel: "claude-sonnet-4-20250514",
  prices: {
    "claude-sonnet-4-20250514": {
      inputPerMillion: 3,
      outputPerMillion: 15,
      cachedInputPerMillion: 0.3,
      cacheWritePerMillion: 3.75,
    },
  },
  config: { key: "claude", schema: () => engineConfigSchemas().claudeInferenceConfig },
  protocol: "anthropic",
  load: async () => (await import("./engine.ts")).createClaudeEngine as EngineFactory,
});
