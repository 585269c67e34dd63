/**
 * The Anthropic provider as the registry knows it (no engine code: that loads on first use). Its settings keep
 * their historical name `claude` (`api.claude`, the `claude:` block), which is also an alias of the provider.
 *
 * Also the provider id the engine stamps and the block metadata keys it writes on the blocks it produces.
 */
import { engineConfigSchemas } from "../../engine/inference-config.ts";
import { defineProvider, defineWireProtocol, type EngineFactory } from "../../provider-kit/descriptor.ts";
import type { JsonObject } from "../../turns/json.ts";
import { blockMetadataKey } from "../../turns/keys.ts";

/** The public Anthropic endpoint (the engine appends `/v1/messages`). */
export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/**
 * The Anthropic Messages wire: the local provider server's modules for it and the contract suite's reader, loaded only when
 * a server starts or a suite runs.
 *
 * @example
 * ANTHROPIC_WIRE.name // "anthropic"
 */
export const ANTHROPIC_WIRE = defineWireProtocol({
  name: "anthropic",
  server: async () => {
    const [wire, counting] = await Promise.all([
      import("../../testing/provider-server/anthropic.ts"),
      import("../../testing/provider-server/count-tokens.ts"),
    ]);
    return [wire.anthropicProtocol, counting.anthropicCountTokensProtocol];
  },
  contract: async () => (await import("../contract/anthropic.ts")).anthropicContract,
});

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
  protocol: ANTHROPIC_WIRE,
  load: async () => (await import("./engine.ts")).createClaudeEngine as EngineFactory,
});

/** The provider name the engine stamps on events, blocks and results. */
export const ANTHROPIC_PROVIDER = "anthropic";

/**
 * The id of the message that produced the block (`msg_…`).
 *
 * @example
 * KeyAnthropicMessageId.get(block) // "msg_01Y6V41gqPaKWEw7iPouH7iW"
 */
export const KeyAnthropicMessageId = blockMetadataKey<string>("anthropic", "message_id", 1);
/** The block's index in the message's `content` array. */
export const KeyAnthropicContentIndex = blockMetadataKey<number>("anthropic", "content_index", 1);
/** The citations of a text block (`citations_delta`), as the provider sent them. */
export const KeyAnthropicCitations = blockMetadataKey<JsonObject[]>("anthropic", "citations", 1);
