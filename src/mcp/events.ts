/**
 * MCP events, as `custom` events named after the seed's `mcp-*` and `mcp-list-tools-*` families (the same names the
 * Responses engine's hosted MCP items use). Listing and server status events go to the toolset's context; call
 * events go to the context of the tool call (so they carry its session, inference and turn ids).
 *
 * @example
 * if (McpCallFailed.is(event)) console.warn(event.payload.server, event.payload.error);
 * if (McpListToolsCompleted.is(event)) console.log(event.payload.tools);
 */
import { defineCustomEvent } from "../events/codec.ts";
import type { McpConnectionStatus } from "./connection.ts";

/** A server's tools are being listed. */
export const McpListToolsInProgress = defineCustomEvent<{ server: string }>("mcp-list-tools-in-progress");
/** A server's tools were listed (`tools` are the registered names). */
export const McpListToolsCompleted = defineCustomEvent<{ server: string; tools: string[] }>(
  "mcp-list-tools-completed",
);
/** Listing a server's tools failed (the server is unavailable; it is retried with backoff). */
export const McpListToolsFailed = defineCustomEvent<{ server: string; error: string }>(
  "mcp-list-tools-failed",
);

/** An MCP tool call was sent. */
export const McpCallInProgress = defineCustomEvent<{ server: string; tool: string; toolCallId: string }>(
  "mcp-call-in-progress",
);
/** A running MCP tool call reported progress (`notifications/progress`). */
export const McpCallProgress = defineCustomEvent<{
  server: string;
  tool: string;
  toolCallId: string;
  progress: number;
  total?: number;
  message?: string;
}>("mcp-call-progress");
/** An MCP tool call answered. */
export const McpCallCompleted = defineCustomEvent<{
  server: string;
  tool: string;
  toolCallId: string;
  durationMs: number;
  truncated: boolean;
}>("mcp-call-completed");
/** An MCP tool call failed (an error result, a dropped server, a timeout or a cancellation). */
export const McpCallFailed = defineCustomEvent<{
  server: string;
  tool: string;
  toolCallId: string;
  error: string;
}>("mcp-call-failed");

/** A server's connection state changed. `attempt` counts reconnection attempts. */
export const McpServerStatus = defineCustomEvent<{
  server: string;
  status: McpConnectionStatus;
  attempt?: number;
  error?: string;
}>("mcp-server-status");
/** Something the user should know (a tool that would shadow a local tool, a list change that failed). */
export const McpWarning = defineCustomEvent<{ server: string; message: string }>("mcp-warning");
