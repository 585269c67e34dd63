/**
 * Block metadata keys the OpenAI Responses engine writes on the blocks it produces.
 *
 * Provider item ids live in the payload (`payload.itemId`) because the request builder needs them to continue
 * a conversation; these keys record where a block came from.
 */
import type { JsonObject } from "../../turns/json.ts";
import { blockMetadataKey } from "../../turns/keys.ts";

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
