/**
 * One Turn block as Anthropic content blocks: user text, images and PDF documents, answer text, tool use and
 * tool results (rich tool content as image and text blocks), signed or redacted thinking of Anthropic's own,
 * and Anthropic's server-tool blocks kept as `other` blocks. Reasoning of another provider is dropped with a
 * warning.
 */
import { CallerError } from "../../engine/errors.ts";
import { droppedBlockWarning, foreignProducer } from "../../provider-kit/reasoning.ts";
import { describeToolContentPart, toolContentOf } from "../../tools/content.ts";
import { isJsonObject, type JsonValue } from "../../turns/json.ts";
import type { Block, DocumentPart, ImagePart } from "../../turns/types.ts";
import { checkPdf } from "../documents.ts";
import { anthropicProvider } from "./descriptor.ts";
import type { AnthropicContentBlock } from "./wire.ts";

/** Prefix of the `other` block types this provider writes and replays. */
export const ANTHROPIC_OTHER_PREFIX = "anthropic.";

function imageBlock(image: ImagePart, where: string): AnthropicContentBlock {
  if (image.data !== undefined) {
    return { type: "image", source: { type: "base64", media_type: image.mediaType, data: image.data } };
  }
  if (image.url !== undefined) return { type: "image", source: { type: "url", url: image.url } };
  if (image.fileId !== undefined) return { type: "image", source: { type: "file", file_id: image.fileId } };
  throw new CallerError(`${where}: an image needs one of url, data or fileId`);
}

function documentBlock(document: DocumentPart, where: string): AnthropicContentBlock {
  checkPdf(document, where, "Anthropic");
  return {
    type: "document",
    source: { type: "base64", media_type: document.mediaType, data: document.data },
  };
}

function toolResultContent(result: JsonValue, error: string | undefined): string | AnthropicContentBlock[] {
  if (error !== undefined) return error;
  const rich = toolContentOf(result);
  if (rich) {
    const blocks: AnthropicContentBlock[] = rich.content.map((part) =>
      part.type === "image"
        ? { type: "image", source: { type: "base64", media_type: part.mediaType, data: part.data } }
        : { type: "text", text: describeToolContentPart(part) },
    );
    if (rich.structuredContent) blocks.push({ type: "text", text: JSON.stringify(rich.structuredContent) });
    return blocks;
  }
  return typeof result === "string" ? result : JSON.stringify(result);
}

/**
 * One block's content on the wire and the role it goes to; undefined (with a warning where it is dropped) for
 * blocks that add none.
 *
 * @example
 * blockContent(newUserTextBlock("Hi"), warnings, "turn.blocks[0] (user)") // { role: "user", content: [{ type: "text", text: "Hi" }] }
 */
export function blockContent(
  block: Block,
  warnings: string[],
  where: string,
): { role: "user" | "assistant"; content: AnthropicContentBlock[] } | undefined {
  switch (block.kind) {
    case "system":
      return undefined;
    case "user": {
      const content: AnthropicContentBlock[] = (block.payload.documents ?? []).map((document, index) =>
        documentBlock(document, `${where}.payload.documents[${index}]`),
      );
      (block.payload.images ?? []).forEach((image, index) => {
        content.push(imageBlock(image, `${where}.payload.images[${index}]`));
      });
      if (block.payload.text.length > 0) content.push({ type: "text", text: block.payload.text });
      return { role: "user", content };
    }
    case "llm_text":
      if (block.payload.text.length === 0) return undefined;
      return { role: "assistant", content: [{ type: "text", text: block.payload.text }] };
    case "tool_call":
      return {
        role: "assistant",
        content: [
          { type: "tool_use", id: block.payload.id, name: block.payload.name, input: block.payload.args },
        ],
      };
    case "tool_use": {
      const result: AnthropicContentBlock = {
        type: "tool_result",
        tool_use_id: block.payload.id,
        content: toolResultContent(block.payload.result, block.payload.error),
      };
      if (block.payload.error !== undefined) result.is_error = true;
      return { role: "user", content: [result] };
    }
    case "reasoning": {
      const { payload } = block;
      const producer = foreignProducer(block, anthropicProvider);
      if (producer !== undefined) {
        warnings.push(droppedBlockWarning(where, producer));
        return undefined;
      }
      if (payload.redacted && payload.encryptedContent !== undefined) {
        return {
          role: "assistant",
          content: [{ type: "redacted_thinking", data: payload.encryptedContent }],
        };
      }
      if (payload.signature !== undefined && payload.signature.length > 0) {
        return {
          role: "assistant",
          content: [{ type: "thinking", thinking: payload.text ?? "", signature: payload.signature }],
        };
      }
      warnings.push(`${where}: reasoning without an Anthropic signature was dropped`);
      return undefined;
    }
    case "other": {
      const { type, data } = block.payload;
      if (type.startsWith(ANTHROPIC_OTHER_PREFIX) && isJsonObject(data)) {
        // Older Turns (format v1) kept the block's type only in the block type, not in its data.
        const content =
          typeof data.type === "string" ? data : { type: type.slice(ANTHROPIC_OTHER_PREFIX.length), ...data };
        return { role: "assistant", content: [content as AnthropicContentBlock] };
      }
      warnings.push(`${where}: block of type ${JSON.stringify(type)} is not sent to Anthropic`);
      return undefined;
    }
  }
}
