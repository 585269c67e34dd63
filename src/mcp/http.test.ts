import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunContext } from "../events/context.ts";
import { executeToolCalls } from "../tools/executor.ts";
import type { JsonObject } from "../turns/json.ts";
import { PIXEL_PNG, startHttpTestServer } from "./__fixtures__/test-server.ts";
import { getMcpPrompt, listMcpPrompts, listMcpResources, readMcpResource } from "./resources.ts";
import { WaitingSink } from "./test-support.ts";
import { McpToolset } from "./toolset.ts";

let server: Awaited<ReturnType<typeof startHttpTestServer>>;
let mcp: McpToolset;
let statusSink: WaitingSink;

beforeEach(async () => {
  server = await startHttpTestServer();
  statusSink = new WaitingSink();
  mcp = new McpToolset(
    { web: { url: server.url, bearerToken: "token-123", toolPrefix: "" } },
    { ctx: RunContext.background().withSinks(statusSink), reconnect: { initialDelayMs: 60_000 } },
  );
  await mcp.ready();
});
afterEach(async () => {
  await mcp.close();
  await server.close();
});

async function call(name: string, args: JsonObject = {}, ctx = RunContext.background()) {
  const { results } = await executeToolCalls([{ id: `call_${name}`, name, args }], ctx, {
    registry: mcp.registry,
  });
  return results[0]!;
}

describe("MCP over Streamable HTTP (the test server in-process)", () => {
  it("connects with the bearer token, lists the tools unprefixed and calls them", async () => {
    expect(server.state.authorization).toBe("Bearer token-123");
    expect(mcp.registry.has("echo")).toBe(true);
    expect((await call("echo", { text: "over http" })).result).toEqual({
      $type: "tool-content",
      content: [{ type: "text", text: "over http" }],
    });
    expect((await call("image")).result).toMatchObject({ content: [{}, { type: "image", data: PIXEL_PNG }] });
  });

  it("sends notifications/cancelled when the run is aborted", async () => {
    const controller = new AbortController();
    const started = new Promise<void>((resolve) => {
      server.state.onHang = resolve;
    });
    const pending = call("hang", {}, RunContext.background().withSignal(controller.signal));
    await started;
    controller.abort(new Error("stop"));
    expect((await pending).status).toBe("cancelled");
    expect((await call("stats")).result).toMatchObject({
      content: [{ text: expect.stringContaining('"cancelled":1') }],
    });
  });

  it("lists and reads resources as attachments, and fills prompts as Turn blocks", async () => {
    const connection = mcp.connection("web")!;
    expect((await listMcpResources(connection)).map((resource) => resource.uri)).toEqual([
      "test://notes",
      "test://pixel",
    ]);
    const notes = await readMcpResource(connection, "test://notes");
    expect(notes.payload.text).toBe("[test://notes]\nthe notes");
    const pixel = await readMcpResource(connection, "test://pixel");
    expect(pixel.payload.images).toEqual([{ mediaType: "image/png", data: PIXEL_PNG }]);
    expect(await listMcpPrompts(connection)).toEqual([
      { name: "greet", description: "Greets someone", arguments: [{ name: "name", required: true }] },
    ]);
    const blocks = await getMcpPrompt(connection, "greet", { name: "Ada" });
    expect(blocks.map((block) => [block.kind, (block.payload as { text: string }).text])).toEqual([
      ["user", "Say hello to Ada"],
      ["llm_text", "Hello, Ada!"],
    ]);
  });

  it("a response over maxMessageBytes fails the call with an error result and marks the server unavailable", async () => {
    const limited = new McpToolset({ web: { url: server.url, maxMessageBytes: 100_000 } });
    await limited.ready();
    const { results } = await executeToolCalls(
      [{ id: "big", name: "web_big", args: { size: 200_000 } }],
      RunContext.background(),
      { registry: limited.registry },
    );
    expect(results[0]).toMatchObject({
      status: "error",
      error: expect.stringContaining("over 100000 bytes"),
    });
    expect(limited.connection("web")!.status).toBe("unavailable");
    await limited.close();
  });

  it("a server that goes away: the call is an error result, the server is marked unavailable, nothing throws", async () => {
    await server.close();
    const result = await call("echo", { text: "anyone?" });
    expect(result).toMatchObject({
      status: "error",
      error: expect.stringContaining('MCP server "web" is unavailable'),
    });
    await statusSink.waitForCustom(
      "mcp-server-status",
      (payload: { status: string }) => payload.status === "unavailable",
    );
    expect((await call("echo", { text: "again" })).error).toContain("reconnecting");
  });
});
