/**
 * A small MCP server on the official SDK, for the tests and the bench: tools that return text, an image,
 * structured content, links, an error, a big output, one that hangs until cancelled, one that adds a tool
 * (a list change); a text and an image resource; a prompt. Run as a script it serves over stdio; in-process,
 * `startHttpTestServer` serves it over Streamable HTTP on a free 127.0.0.1 port.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/** A 1×1 PNG. */
export const PIXEL_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/** What the server saw (in-process only). */
export interface TestServerState {
  cancelled: number;
  calls: number;
  /** Called when a `hang` call starts (in-process only). */
  onHang?: () => void;
  /** The last `Authorization` header received over HTTP. */
  authorization?: string | undefined;
}

/** A new server with the test tools, resources and prompt. */
export function createTestServer(state: TestServerState = { cancelled: 0, calls: 0 }): McpServer {
  const server = new McpServer({ name: "geppetto-test", version: "1.0.0" });
  const addedTools = new Map<string, { remove(): void }>();
  server.registerTool(
    "echo",
    { description: "Echoes the text", inputSchema: { text: z.string() } },
    async ({ text }) => {
      state.calls++;
      return { content: [{ type: "text", text }] };
    },
  );
  server.registerTool("image", { description: "A one-pixel image" }, async () => ({
    content: [
      { type: "text", text: "a pixel" },
      { type: "image", data: PIXEL_PNG, mimeType: "image/png" },
    ],
  }));
  server.registerTool(
    "add",
    {
      description: "Adds two numbers",
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    async ({ a, b }) => ({
      content: [{ type: "text", text: String(a + b) }],
      structuredContent: { sum: a + b },
    }),
  );
  server.registerTool("links", { description: "A link and an embedded resource" }, async () => ({
    content: [
      { type: "resource_link", uri: "test://notes", name: "notes", mimeType: "text/plain" },
      { type: "resource", resource: { uri: "test://inline", mimeType: "text/plain", text: "inline text" } },
    ],
  }));
  server.registerTool("fail", { description: "Always fails" }, async () => ({
    content: [{ type: "text", text: "boom" }],
    isError: true,
  }));
  server.registerTool(
    "big",
    { description: "A long text", inputSchema: { size: z.number().int() } },
    async ({ size }) => ({ content: [{ type: "text", text: "x".repeat(size) }] }),
  );
  server.registerTool("hang", { description: "Never answers; counts cancellations" }, (extra) => {
    state.onHang?.();
    return new Promise((_resolve, reject) => {
      extra.signal.addEventListener("abort", () => {
        state.cancelled++;
        reject(new Error("cancelled"));
      });
    });
  });
  server.registerTool("stats", { description: "Calls and cancellations seen" }, async () => ({
    content: [
      { type: "text", text: JSON.stringify({ cancelled: state.cancelled, calls: state.calls, pid: process.pid }) },
    ],
  }));
  server.registerTool("env", { description: "The names of the environment variables it got" }, async () => ({
    content: [{ type: "text", text: JSON.stringify(Object.keys(process.env).sort()) }],
  }));
  server.registerTool(
    "add_tool",
    { description: "Registers a new tool (the server announces a list change)", inputSchema: { name: z.string() } },
    async ({ name }) => {
      const added = server.registerTool(name, { description: `Added at run time: ${name}` }, async () => ({
        content: [{ type: "text", text: `${name} ran` }],
      }));
      addedTools.set(name, added);
      return { content: [{ type: "text", text: `added ${name}` }] };
    },
  );
  server.registerTool(
    "remove_tool",
    { description: "Removes a tool added by add_tool (a list change)", inputSchema: { name: z.string() } },
    async ({ name }) => {
      addedTools.get(name)?.remove();
      return { content: [{ type: "text", text: `removed ${name}` }] };
    },
  );
  server.registerResource("notes", "test://notes", { mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: "the notes" }],
  }));
  server.registerResource("pixel", "test://pixel", { mimeType: "image/png" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "image/png", blob: PIXEL_PNG }],
  }));
  server.registerPrompt(
    "greet",
    { description: "Greets someone", argsSchema: { name: z.string() } },
    ({ name }) => ({
      messages: [
        { role: "user", content: { type: "text", text: `Say hello to ${name}` } },
        { role: "assistant", content: { type: "text", text: `Hello, ${name}!` } },
      ],
    }),
  );
  return server;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

/** The test server over Streamable HTTP on 127.0.0.1 (one MCP session per client). */
export async function startHttpTestServer(): Promise<{
  url: string;
  state: TestServerState;
  close(): Promise<void>;
}> {
  const state: TestServerState = { cancelled: 0, calls: 0 };
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (request, response) => {
    state.authorization = request.headers.authorization;
    const sessionId = request.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    const body = request.method === "POST" ? await readBody(request) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => void sessions.set(id, transport!),
      });
      await createTestServer(state).connect(transport);
    }
    await transport.handleRequest(request, response, body);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    state,
    async close() {
      for (const transport of sessions.values()) await transport.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await createTestServer().connect(new StdioServerTransport());
}
