import { afterEach, describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../events/context.ts";
import { defineTool } from "../tools/define-tool.ts";
import { executeToolCalls } from "../tools/executor.ts";
import { ToolRegistry } from "../tools/registry.ts";
import type { JsonObject } from "../turns/json.ts";
import { PIXEL_PNG } from "./__fixtures__/test-server.ts";
import { STDIO_TEST_SERVER as stdioServer, WaitingSink } from "./test-support.ts";
import { McpToolset } from "./toolset.ts";

let open: McpToolset | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function toolset(options: ConstructorParameters<typeof McpToolset>[1] = {}, extra = {}) {
  open = new McpToolset({ test: { ...stdioServer, ...extra } }, options);
  await open.ready();
  return open;
}

async function call(
  mcp: McpToolset,
  name: string,
  args: JsonObject = {},
  config = {},
  ctx = RunContext.background(),
) {
  const { results } = await executeToolCalls([{ id: `call_${name}`, name, args }], ctx, {
    registry: mcp.registry,
    config,
  });
  return results[0]!;
}

describe("MCP tools over stdio (the test server written with the SDK)", () => {
  it("lists the server's tools into the registry, prefixed by the server name, with listing events", async () => {
    const sink = new CollectingSink();
    const mcp = await toolset({ ctx: RunContext.background().withSinks(sink) });
    const names = mcp.registry.list().map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["test_echo", "test_image", "test_add", "test_hang"]));
    expect(mcp.registry.get("test_echo")!.parametersFor("json-schema")).toMatchObject({
      type: "object",
      properties: { text: { type: "string" } },
    });
    const events = sink.ofType("custom").map((event) => event.name);
    expect(events).toEqual(
      expect.arrayContaining(["mcp-server-status", "mcp-list-tools-in-progress", "mcp-list-tools-completed"]),
    );
    expect(mcp.connection("test")!.serverInfo?.name).toBe("geppetto-test");
  });

  it("keeps text, images, structured content and links as rich tool results; call events carry the call id", async () => {
    const sink = new CollectingSink();
    const mcp = await toolset();
    const ctx = RunContext.background().withSinks(sink);
    expect((await call(mcp, "test_echo", { text: "hi" }, {}, ctx)).result).toEqual({
      $type: "tool-content",
      content: [{ type: "text", text: "hi" }],
    });
    expect((await call(mcp, "test_image")).result).toEqual({
      $type: "tool-content",
      content: [
        { type: "text", text: "a pixel" },
        { type: "image", mediaType: "image/png", data: PIXEL_PNG },
      ],
    });
    expect((await call(mcp, "test_add", { a: 2, b: 3 })).result).toMatchObject({
      structuredContent: { sum: 5 },
    });
    expect((await call(mcp, "test_links")).result).toMatchObject({
      content: [
        { type: "resource_link", uri: "test://notes", name: "notes", mediaType: "text/plain" },
        { type: "resource", uri: "test://inline", text: "inline text" },
      ],
    });
    const calls = sink.ofType("custom").filter((event) => event.name.startsWith("mcp-call"));
    expect(calls.map((event) => [event.name, (event.payload as { toolCallId: string }).toolCallId])).toEqual([
      ["mcp-call-in-progress", "call_test_echo"],
      ["mcp-call-completed", "call_test_echo"],
    ]);
  });

  it("turns a tool error into an error result and bad arguments into invalid_arguments, like local tools", async () => {
    const mcp = await toolset();
    expect(await call(mcp, "test_fail")).toMatchObject({
      status: "error",
      error: expect.stringContaining("boom"),
    });
    expect(await call(mcp, "test_echo", { text: 5 })).toMatchObject({ status: "invalid_arguments" });
  });

  it("applies the executor's timeout to a hanging tool and sends notifications/cancelled to the server", async () => {
    const mcp = await toolset();
    const result = await call(mcp, "test_hang", {}, { executionTimeoutMs: 100 });
    expect(result.status).toBe("timeout");
    const stats = (await call(mcp, "test_stats")).result as { content: { text: string }[] };
    expect(JSON.parse(stats.content[0]!.text)).toMatchObject({ cancelled: 1 });
  });

  it("cancels the in-flight request when the run is aborted, and the connection stays usable", async () => {
    const mcp = await toolset();
    const controller = new AbortController();
    const sink = new WaitingSink();
    const ctx = RunContext.background().withSignal(controller.signal).withSinks(sink);
    const pending = call(mcp, "test_hang", {}, {}, ctx);
    await sink.waitForCustom("mcp-call-in-progress");
    // Requests are read in order: once this answers, the server is running the hanging call.
    await call(mcp, "test_stats");
    controller.abort(new Error("stop"));
    expect((await pending).status).toBe("cancelled");
    const stats = (await call(mcp, "test_stats")).result as { content: { text: string }[] };
    expect(JSON.parse(stats.content[0]!.text)).toMatchObject({ cancelled: 1 });
    expect(mcp.connection("test")!.status).toBe("connected");
  });

  it("cuts output over the server's limit", async () => {
    const mcp = await toolset({}, { maxOutputBytes: 1000 });
    const result = (await call(mcp, "test_big", { size: 5000 })).result as { content: { text: string }[] };
    expect(result.content[0]!.text.length).toBeLessThan(1000);
    expect(result.content[0]!.text).toContain("[truncated:");
  });

  it("drops a server that sends a message over maxMessageBytes: an error result, then a reconnect", async () => {
    const status = new WaitingSink();
    const mcp = await toolset(
      { ctx: RunContext.background().withSinks(status), reconnect: { initialDelayMs: 10 } },
      { maxMessageBytes: 100_000 },
    );
    const reconnected = status.waitForCustom(
      "mcp-server-status",
      (payload: { status: string }) => payload.status === "connected",
      true,
    );
    const result = await call(mcp, "test_big", { size: 200_000 });
    expect(result).toMatchObject({
      status: "error",
      error: expect.stringContaining("a message over 100000 bytes"),
    });
    await reconnected;
    expect((await call(mcp, "test_echo", { text: "back" })).status).toBe("ok");
  });

  it("passes only the allow-listed environment to the server", async () => {
    const env = { ...process.env, OPENAI_API_KEY: "sk-secret", ALLOWED_VAR: "yes" };
    const mcp = await toolset({ env }, { envPassthrough: ["ALLOWED_VAR"], env: { SET_VAR: "1" } });
    const names = JSON.parse(
      ((await call(mcp, "test_env")).result as { content: { text: string }[] }).content[0]!.text,
    );
    expect(names).toContain("ALLOWED_VAR");
    expect(names).toContain("SET_VAR");
    expect(names).not.toContain("OPENAI_API_KEY");
    expect(
      names.every((name: string) =>
        ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "ALLOWED_VAR", "SET_VAR"].includes(name),
      ),
    ).toBe(true);
  });

  it("never shadows a local tool: the MCP tool is skipped with a warning", async () => {
    const local = defineTool({ name: "test_echo", description: "local", input: {}, execute: () => "local" });
    const warnings: string[] = [];
    const mcp = await toolset({
      registry: new ToolRegistry([local]),
      onWarning: (warning) => warnings.push(warning.message),
    });
    expect(mcp.registry.get("test_echo")).toBe(local);
    expect(warnings).toEqual([expect.stringContaining('"test_echo" is taken by a local tool')]);
  });

  it("updates the registry when the server announces a tool list change", async () => {
    const sink = new WaitingSink();
    const mcp = await toolset({ ctx: RunContext.background().withSinks(sink) });
    await call(mcp, "test_add_tool", { name: "later" });
    await sink.waitForCustom("mcp-list-tools-completed", (payload: { tools: string[] }) =>
      payload.tools.includes("test_later"),
    );
    expect((await call(mcp, "test_later")).result).toMatchObject({ content: [{ text: "later ran" }] });
    // Waiting from before the call: the list may be refreshed before the call returns.
    const removed = sink.waitForCustom(
      "mcp-list-tools-completed",
      (payload: { tools: string[] }) => !payload.tools.includes("test_later"),
      true,
    );
    await call(mcp, "test_remove_tool", { name: "later" });
    await removed;
    expect(mcp.registry.has("test_later")).toBe(false);
    expect(await call(mcp, "test_later")).toMatchObject({ status: "unknown_tool" });
  });

  it("registers only the tools the settings allow", async () => {
    const mcp = await toolset({}, { tools: ["echo", "add"] });
    expect(mcp.registry.list().map((tool) => tool.name)).toEqual(["test_echo", "test_add"]);
  });

  it("gives up after maxAttempts on a server that cannot start, and calls say why", async () => {
    const status = new WaitingSink();
    open = new McpToolset(
      { broken: { command: "/nonexistent/mcp-server" } },
      { ctx: RunContext.background().withSinks(status), reconnect: { initialDelayMs: 5, maxAttempts: 2 } },
    );
    await open.ready();
    const closed = await status.waitForCustom(
      "mcp-server-status",
      (payload: { status: string }) => payload.status === "closed",
    );
    expect((closed as { payload: { error: string } }).payload.error).toMatch(
      /gave up after 2 attempts: .*ENOENT/,
    );
    const connecting = status.events.filter(
      (event) => event.type === "custom" && (event.payload as { status: string }).status === "connecting",
    );
    expect(connecting).toHaveLength(3);
    await expect(open.connection("broken")!.connect()).rejects.toThrow(/"broken" is unavailable: closed/);
  });
});
