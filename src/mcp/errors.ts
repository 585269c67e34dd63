/**
 * MCP errors. Inside the tool loop they become error results the model sees; they reach the caller only from
 * direct calls (reading a resource, getting a prompt) or from bad configuration.
 */
import { GeppettoError } from "../engine/errors.ts";

/**
 * An MCP server cannot be reached now (starting, dropped and reconnecting, or closed).
 *
 * @example
 * catch (error) { if (GeppettoError.is(error) && error.code === "mcp_unavailable") retryLater() }
 */
export class McpUnavailableError extends GeppettoError {
  override name = "McpUnavailableError";
  constructor(
    readonly server: string,
    reason: string,
  ) {
    super(`MCP server "${server}" is unavailable: ${reason}`, { code: "mcp_unavailable", fault: "provider" });
  }
}

/**
 * An MCP server answered a request with an error (a failed tool, an unknown resource or prompt).
 *
 * @example
 * throw new McpRequestError("files", 'tool "read" failed: no such file');
 */
export class McpRequestError extends GeppettoError {
  override name = "McpRequestError";
  constructor(
    readonly server: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`MCP server "${server}": ${message}`, {
      code: "mcp_request_failed",
      fault: "provider",
      cause: options.cause,
    });
  }
}
