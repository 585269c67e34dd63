/**
 * The OpenAI Responses provider as the registry knows it (no engine code: that loads on first use).
 *
 * Also the block metadata keys the engine writes on the blocks it produces. Provider item ids live in the
 * payload (`payload.itemId`) because the request builder needs them to continue a conversation; these keys
 * record where a block came from.
 */
import { engineConfigSchemas } from "../../engine/inference-config.ts";
import { defineProvider, defineWireProtocol, type EngineFactory } from "../../provider-kit/descriptor.ts";
import type { JsonObject } from "../../turns/json.ts";
import { blockMetadataKey } from "../../turns/keys.ts";
import { OPENAI_DEFAULT_BASE_URL, OPENAI_PRICES } from "../openai/descriptor.ts";

/**
 * The OpenAI Responses wire: the local provider server's modules for it and the contract suite's reader, loaded only when
 * a server starts or a suite runs.
 *
 * @example
 * OPENAI_RESPONSES_WIRE.name // "openai-responses"
 */
export const OPENAI_RESPONSES_WIRE = defineWireProtocol({
  name: "openai-responses",
  server: async () => {
    const [wire, counting] = await Promise.all([
      import("../../testing/provider-server/openai-responses.ts"),
      import("../../testing/provider-server/count-tokens.ts"),
    ]);
    return [wire.openaiResponsesProtocol, counting.responsesInputTokensProtocol];
  },
  contract: async () => (await import("../contract/openai-responses.ts")).openaiResponsesContract,
});

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
  protocol: OPENAI_RESPONSES_WIRE,
  load: async () => (await import("./engine.ts")).createOpenAIResponsesEngine as EngineFactory,
});

/** The provider name the engine stamps on events, blocks and results. */
export const OPENAI_RESPONSES_PROVIDER = "openai-responses";

/**
 * The id of the response that produced the block (`resp_…`).
 *
 * @example
 * KeyResponsesResponseId.get(block) // "resp_0cc96ac8…"
 */
export const KeyResponsesResponseId = blockMetadataKey<string>("openai_responses", "response_id", 1);
/** The block's position in the response's `output` array. */
export const KeyResponsesOutputIndex = blockMetadataKey<number>("openai_responses", "output_index", 1);
/** The output item type the block came from (`message`, `reasoning`, `function_call`, `web_search_call`…). */
export const KeyResponsesItemType = blockMetadataKey<string>("openai_responses", "item_type", 1);
/** The output item's final status (`completed`, `incomplete`…). */
export const KeyResponsesStatus = blockMetadataKey<string>("openai_responses", "status", 1);
/** The `url_citation` annotations of a text block, as the provider sent them. */
export const KeyResponsesAnnotations = blockMetadataKey<JsonObject[]>("openai_responses", "annotations", 1);

/**
 * The `phase` of a message item (`commentary`, `final_answer`), sent back on the message it came with.
 *
 * @example
 * KeyResponsesPhase.get(block) // "final_answer"
 */
export const KeyResponsesPhase = blockMetadataKey<string>("openai_responses", "phase", 1);

/** The `other` block type of a replayable web search call. */
export const WEB_SEARCH_CALL_TYPE = "openai_responses.web_search_call";

/**
 * The output items of hosted tools, kept as `other` blocks of type `openai_responses.<item type>` with the item as
 * data and sent back as they came, so a continued conversation keeps them.
 *
 * @example
 * HOSTED_ITEM_TYPES.has("file_search_call") // true
 */
export const HOSTED_ITEM_TYPES: ReadonlySet<string> = new Set([
  "web_search_call",
  "file_search_call",
  "code_interpreter_call",
  "image_generation_call",
  "mcp_call",
  "mcp_list_tools",
  "mcp_approval_request",
  "computer_call",
  "local_shell_call",
]);
