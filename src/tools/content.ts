/**
 * Rich tool results: a tool may return text, images, audio, resource links and embedded resources (the content
 * types of the Model Context Protocol) plus structured content, instead of a single JSON value. The result stays
 * plain JSON in the Turn (`{ "$type": "tool-content", content, structuredContent? }`); each provider sends it in
 * the richest form its API accepts (Anthropic: text and image blocks; OpenAI Responses: input_text and
 * input_image parts when there is an image; the others: text, with every non-text part described in a line).
 */
import type { JsonObject, JsonValue } from "../turns/json.ts";

/** One part of a rich tool result. Binary data (`data`, `blob`) is base64. */
export type ToolContentPart =
  | { type: "text"; text: string }
  | { type: "image"; mediaType: string; data: string }
  | { type: "audio"; mediaType: string; data: string }
  | { type: "resource_link"; uri: string; name?: string; mediaType?: string; description?: string }
  | { type: "resource"; uri: string; mediaType?: string; text?: string; blob?: string };

/** A rich tool result as stored in a `tool_use` block's `result` (plain JSON). */
export type ToolContentResult = {
  $type: "tool-content";
  content: ToolContentPart[];
  /** JSON the tool returned besides its content (MCP `structuredContent`). */
  structuredContent?: JsonObject;
};

/**
 * Wraps parts as a rich tool result (what a tool's `execute` returns to keep images and links).
 *
 * @example
 * toolContent([{ type: "text", text: "a chart" }, { type: "image", mediaType: "image/png", data: base64 }])
 */
export function toolContent(content: ToolContentPart[], structuredContent?: JsonObject): ToolContentResult {
  return structuredContent === undefined
    ? { $type: "tool-content", content }
    : { $type: "tool-content", content, structuredContent };
}

/**
 * The rich result in a tool result value, when it is one.
 *
 * @example
 * toolContentOf({ $type: "tool-content", content: [] })?.content // []
 * toolContentOf(42) // undefined
 */
export function toolContentOf(result: JsonValue): ToolContentResult | undefined {
  if (typeof result !== "object" || result === null || Array.isArray(result)) return undefined;
  if (result.$type !== "tool-content" || !Array.isArray(result.content)) return undefined;
  return result as unknown as ToolContentResult;
}

/**
 * A part as one line of text (for providers whose tool results are text only).
 *
 * @example
 * describeToolContentPart({ type: "image", mediaType: "image/png", data: "iVBO" }) // "[image image/png, 3 bytes]"
 */
export function describeToolContentPart(part: ToolContentPart): string {
  switch (part.type) {
    case "text":
      return part.text;
    case "image":
    case "audio":
      return `[${part.type} ${part.mediaType}, ${Math.floor((part.data.length * 3) / 4)} bytes]`;
    case "resource_link":
      return `[resource link ${part.uri}${part.name ? ` (${part.name})` : ""}${part.mediaType ? ` ${part.mediaType}` : ""}]`;
    case "resource":
      return part.text !== undefined
        ? `[resource ${part.uri}]\n${part.text}`
        : `[resource ${part.uri}${part.mediaType ? ` ${part.mediaType}` : ""}, binary]`;
  }
}

/**
 * A tool result as the text a text-only provider sends: plain strings as they are, rich results as their parts
 * (one per line, then the structured content as JSON), anything else as JSON.
 *
 * @example
 * toolResultText(toolContent([{ type: "text", text: "sunny" }])) // "sunny"
 */
export function toolResultText(result: JsonValue): string {
  if (typeof result === "string") return result;
  const rich = toolContentOf(result);
  if (!rich) return JSON.stringify(result);
  const lines = rich.content.map(describeToolContentPart);
  if (rich.structuredContent !== undefined) lines.push(JSON.stringify(rich.structuredContent));
  return lines.join("\n");
}
