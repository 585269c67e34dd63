/**
 * Block metadata keys the Anthropic engine writes on the blocks it produces.
 */
import type { JsonObject } from "../../turns/json.ts";
import { blockMetadataKey } from "../../turns/keys.ts";

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
