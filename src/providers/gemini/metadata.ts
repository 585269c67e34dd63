/**
 * Block metadata keys the Gemini engine writes, and reads back when it continues a conversation.
 *
 * Gemini requires thought signatures to come back on the very part they arrived with. A signature on a text or
 * function-call part is kept on the block made from that part ({@link KeyGeminiThoughtSignature}); a signature
 * that arrived on an empty text part right after a block is kept as {@link KeyGeminiTrailingSignature} and sent
 * back as an empty text part after that block. Signatures on `thought` parts live in the reasoning payload
 * (`payload.signature`).
 */
import type { JsonObject } from "../../turns/json.ts";
import { blockMetadataKey } from "../../turns/keys.ts";

/** The provider name the engine stamps on events, blocks and results. */
export const GEMINI_PROVIDER = "gemini";

/**
 * The thought signature that came on this block's own part (a text or functionCall part).
 *
 * @example
 * KeyGeminiThoughtSignature.get(toolCallBlock) // "EskgCsYgAb4+9vtF…"
 */
export const KeyGeminiThoughtSignature = blockMetadataKey<string>("gemini", "thought_signature", 1);

/**
 * A thought signature that came on an empty text part following this block; replayed as `{text:"", …}`.
 *
 * @example
 * KeyGeminiTrailingSignature.get(textBlock) // "EqsFCqgFAb4+9vvt…"
 */
export const KeyGeminiTrailingSignature = blockMetadataKey<string>("gemini", "trailing_signature", 1);

/**
 * The function call id Gemini itself gave (some API surfaces send `functionCall.id`). Only such ids are sent
 * back; ids the engine generated stay local (see {@link geminiCallId}).
 *
 * @example
 * KeyGeminiCallId.get(toolCallBlock) // undefined when the id was generated
 */
export const KeyGeminiCallId = blockMetadataKey<string>("gemini", "call_id", 1);

/**
 * The id of the response that produced a tool_call block.
 *
 * @example
 * KeyGeminiResponseId.get(toolCallBlock) // "m36LaZGyCLz1xs0PtNSB-QU"
 */
export const KeyGeminiResponseId = blockMetadataKey<string>("gemini", "response_id", 1);

/** The `other` block type holding a part geppetto does not model (executable code, an image…), replayed as is. */
export const GEMINI_PART_TYPE = "gemini.part";

/** The raw part of a {@link GEMINI_PART_TYPE} block. */
export type GeminiRawPart = JsonObject;

/**
 * The id given to a Gemini function call that came without one: `gemini_<responseId>_<n>`, n counting the calls
 * of the response from 0 (random when the response had no id). Stable: it is stored on the tool_call block and
 * matched by the tool_use block, so a saved Turn continues with the same ids. It is never sent to Gemini;
 * requests pair calls and responses by order and name, as Gemini does.
 *
 * @example
 * geminiCallId("m36LaZGyCLz1xs0PtNSB-QU", 0) // "gemini_m36LaZGyCLz1xs0PtNSB-QU_0"
 */
export function geminiCallId(responseId: string, index: number): string {
  return `gemini_${responseId}_${index}`;
}
