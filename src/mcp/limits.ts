/**
 * Size limits on what an MCP server sends, so a runaway server cannot fill geppetto's memory: a message (a line of
 * the stdio stream, a line of an HTTP response or event stream) longer than the limit ends the connection, which
 * is then reconnected like a dropped one. Precision: within one read chunk.
 */
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { GeppettoError } from "../engine/errors.ts";

const NEWLINE = 10;

/** Counts the bytes since the last newline; true once they pass `limit`. */
function lineCounter(limit: number): (chunk: Uint8Array) => boolean {
  let pending = 0;
  return (chunk) => {
    const newline = chunk.lastIndexOf(NEWLINE);
    pending = newline === -1 ? pending + chunk.length : chunk.length - newline - 1;
    return pending > limit;
  };
}

/**
 * Watches a stdio transport: a message over `limit` bytes stops reading and closes it. The SDK keeps the child
 * process private, so this reads it after start and fails loudly if a new SDK version moved it.
 *
 * @example
 * limitStdioMessages(transport, 16 * 1024 * 1024, (reason) => log(reason));
 */
export function limitStdioMessages(
  transport: StdioClientTransport,
  limit: number,
  exceeded: (reason: string) => void,
): void {
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    const stdout = (transport as unknown as { _process?: { stdout?: NodeJS.ReadableStream } })._process
      ?.stdout;
    if (!stdout) {
      throw new GeppettoError(
        "cannot watch the MCP stdio server's output (the MCP SDK's internals changed)",
        {
          code: "mcp_unavailable",
          fault: "provider",
        },
      );
    }
    const over = lineCounter(limit);
    stdout.on("data", (chunk: Buffer) => {
      if (!over(chunk)) return;
      exceeded(`the server sent a message over ${limit} bytes`);
      // Stop reading at once (the SDK would buffer the rest), then stop the server.
      stdout.removeAllListeners("data");
      (stdout as NodeJS.ReadableStream & { destroy(): void }).destroy();
      transport.close().catch(() => {});
    });
  };
}

/**
 * A fetch whose response bodies fail once a line passes `limit` bytes (for the Streamable HTTP transport).
 *
 * @example
 * new StreamableHTTPClientTransport(url, { fetch: limitedFetch(16 * 1024 * 1024, log) });
 */
export function limitedFetch(limit: number, exceeded: (reason: string) => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    const over = lineCounter(limit);
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (!over(chunk)) return controller.enqueue(chunk);
          const reason = `the server sent a message over ${limit} bytes`;
          exceeded(reason);
          controller.error(new Error(reason));
        },
      }),
    );
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
