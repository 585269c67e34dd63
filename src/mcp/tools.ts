/**
 * MCP tools as geppetto tools: each is a `defineTool` tool (its input JSON schema compiled per provider dialect
 * and validated like any other), so the registry, the executor (timeouts, retries, error policies), step control
 * and the tool loop treat it like a local tool. Results keep their MCP content (text, images, audio, resource
 * links, embedded resources, structured content) as a rich tool result, cut to the server's output limit.
 */

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { publish } from "../events/context.ts";
import { type ToolContentPart, type ToolContentResult, toolContent } from "../tools/content.ts";
import { defineTool } from "../tools/define-tool.ts";
import type { AnyTool } from "../tools/registry.ts";
import { newId } from "../turns/builders.ts";
import { isJsonObject, type JsonObject } from "../turns/json.ts";
import type { McpConnection, McpToolInfo } from "./connection.ts";
import { McpRequestError } from "./errors.ts";
import { McpCallCompleted, McpCallFailed, McpCallInProgress, McpCallProgress } from "./events.ts";

/** Where an MCP tool comes from. */
export interface McpToolOrigin {
  server: string;
  /** The tool's name on the server. */
  tool: string;
  /** Whether the server is trusted (its tools run without approval). */
  trusted: boolean;
}

/** A registered MCP tool: a geppetto tool that knows its server. */
export type McpTool = AnyTool & { readonly mcp: McpToolOrigin };

/**
 * The default output limit: 1 MiB of JSON.
 *
 * @example
 * mcpResultToContent(result, DEFAULT_MAX_OUTPUT_BYTES)
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * The registry name of a server's tool: the prefix plus the name with characters providers refuse replaced by
 * `_`, at most 64 characters.
 *
 * @example
 * mcpToolName("files_", "read.file") // "files_read_file"
 */
export function mcpToolName(prefix: string, tool: string): string {
  return `${prefix}${tool.replace(/[^a-zA-Z0-9_-]/g, "_")}`.slice(0, 64);
}

/**
 * True for a tool that comes from an MCP server.
 *
 * @example
 * registry.list().filter(isMcpTool).map((tool) => tool.mcp.server)
 */
export function isMcpTool(tool: AnyTool | undefined): tool is McpTool {
  return tool !== undefined && "mcp" in tool && typeof (tool as McpTool).mcp?.server === "string";
}

function contentPart(part: CallToolResult["content"][number]): ToolContentPart {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image":
    case "audio":
      return { type: part.type, mediaType: part.mimeType, data: part.data };
    case "resource_link": {
      const link: ToolContentPart = { type: "resource_link", uri: part.uri, name: part.name };
      if (part.mimeType !== undefined) link.mediaType = part.mimeType;
      if (part.description !== undefined) link.description = part.description;
      return link;
    }
    case "resource": {
      const { resource } = part;
      const embedded: ToolContentPart = { type: "resource", uri: resource.uri };
      if (resource.mimeType !== undefined) embedded.mediaType = resource.mimeType;
      if ("text" in resource && typeof resource.text === "string") embedded.text = resource.text;
      if ("blob" in resource && typeof resource.blob === "string") embedded.blob = resource.blob;
      return embedded;
    }
  }
}

/**
 * An MCP tool result as a rich tool result no larger than `maxBytes` characters of JSON: text is cut (with a
 * note), other parts that do not fit are replaced by a note. `truncated` says whether anything was cut.
 *
 * @example
 * mcpResultToContent({ content: [{ type: "text", text: "hi" }] }, 1000).result.content // [{ type: "text", text: "hi" }]
 */
export function mcpResultToContent(
  result: CallToolResult,
  maxBytes: number,
): { result: ToolContentResult; truncated: boolean } {
  let budget = maxBytes;
  let truncated = false;
  const parts: ToolContentPart[] = [];
  for (const part of (result.content ?? []).map(contentPart)) {
    const size = JSON.stringify(part).length;
    if (size <= budget) {
      parts.push(part);
      budget -= size;
      continue;
    }
    truncated = true;
    if (part.type === "text" && budget > 100) {
      const kept = part.text.slice(0, budget - 100);
      parts.push({
        type: "text",
        text: `${kept}\n[truncated: ${kept.length} of ${part.text.length} characters]`,
      });
      budget = 0;
    } else {
      parts.push({ type: "text", text: `[${part.type} omitted: ${size} bytes over the output limit]` });
    }
  }
  const structured = isJsonObject(result.structuredContent as never)
    ? (result.structuredContent as JsonObject)
    : undefined;
  if (structured !== undefined && JSON.stringify(structured).length > budget) {
    truncated = true;
    parts.push({ type: "text", text: "[structured content omitted: over the output limit]" });
    return { result: toolContent(parts), truncated };
  }
  return { result: toolContent(parts, structured), truncated };
}

function errorText(result: CallToolResult): string {
  const text = (result.content ?? [])
    .map((part) => (part.type === "text" ? part.text : `[${part.type}]`))
    .join("\n")
    .slice(0, 2000);
  return text || "the tool reported an error";
}

/**
 * A geppetto tool that calls `info` on `connection`. A result with `isError` becomes an error result the model
 * sees; so does a dropped or still-connecting server.
 *
 * @example
 * registry.register(mcpTool(connection, info, { name: "files_read", trusted: false, maxOutputBytes: 1 << 20 }));
 */
export function mcpTool(
  connection: McpConnection,
  info: McpToolInfo,
  options: { name: string; trusted: boolean; maxOutputBytes: number },
): McpTool {
  const server = connection.name;
  // `$schema` names the draft; providers want the schema alone.
  const { $schema: _draft, ...schema } = info.inputSchema as JsonObject;
  const input = { ...schema, type: "object" } as JsonObject & { type: "object" };
  const tool = defineTool({
    name: options.name,
    description: info.description ?? info.title ?? `${info.name} (MCP server ${server})`,
    input,
    async execute(args, { signal, toolCallId, ctx }) {
      const started = performance.now();
      publish(ctx, McpCallInProgress.create({ server, tool: info.name, toolCallId }, { id: newId() }));
      try {
        const result = await connection.callTool(info.name, args, signal, (progress) =>
          publish(
            ctx,
            McpCallProgress.create({ server, tool: info.name, toolCallId, ...progress }, { id: newId() }),
          ),
        );
        if (result.isError)
          throw new McpRequestError(server, `tool "${info.name}" failed: ${errorText(result)}`);
        const { result: content, truncated } = mcpResultToContent(result, options.maxOutputBytes);
        const durationMs = Math.round(performance.now() - started);
        publish(
          ctx,
          McpCallCompleted.create(
            { server, tool: info.name, toolCallId, durationMs, truncated },
            { id: newId() },
          ),
        );
        return content;
      } catch (error) {
        const message = signal.aborted
          ? `cancelled: ${String(signal.reason instanceof Error ? signal.reason.message : signal.reason)}`
          : error instanceof Error
            ? error.message
            : String(error);
        publish(
          ctx,
          McpCallFailed.create({ server, tool: info.name, toolCallId, error: message }, { id: newId() }),
        );
        throw error;
      }
    },
  });
  return Object.assign(tool, { mcp: { server, tool: info.name, trusted: options.trusted } });
}
