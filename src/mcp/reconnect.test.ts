import { afterEach, describe, expect, it } from "vitest";
import { RunContext } from "../events/context.ts";
import { createOpenAIChatEngine } from "../providers/openai/engine.ts";
import { serverOptions, setupLocalServer } from "../providers/test-support.ts";
import { runToolLoop } from "../toolloop/loop.ts";
import { executeToolCalls } from "../tools/executor.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import type { ToolUseBlock } from "../turns/types.ts";
import { STDIO_TEST_SERVER, WaitingSink } from "./test-support.ts";
import { McpToolset } from "./toolset.ts";

const provider = setupLocalServer();
let mcp: McpToolset | undefined;
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
});

function isStatus(status: string) {
  return (payload: { status: string }) => payload.status === status;
}

async function stats(toolset: McpToolset) {
  const { results } = await executeToolCalls(
    [{ id: "stats", name: "test_stats", args: {} }],
    RunContext.background(),
    {
      registry: toolset.registry,
    },
  );
  const result = results[0]!.result as { content: { text: string }[] };
  return JSON.parse(result.content[0]!.text) as { pid: number };
}

describe("a stdio MCP server killed mid-call", () => {
  it("the call becomes an error result, the loop goes on, and the server is reconnected", async () => {
    const status = new WaitingSink();
    mcp = new McpToolset(
      { test: STDIO_TEST_SERVER },
      { ctx: RunContext.background().withSinks(status), reconnect: { initialDelayMs: 20 } },
    );
    await mcp.ready();
    const firstPid = mcp.connection("test")!.pid!;
    provider.enqueue(
      { script: { toolCalls: [{ id: "call_hang", name: "test_hang", arguments: {} }] } },
      { script: { text: "The tool failed; carrying on." } },
    );
    const calls = new WaitingSink();
    const engine = createOpenAIChatEngine({
      model: "gpt-4o-mini",
      apiKey: "test",
      ...serverOptions(provider, "openai-chat"),
    });
    const loop = runToolLoop(newTurn([newUserTextBlock("hang")]), RunContext.background().withSinks(calls), {
      engine,
      registry: mcp.registry,
    });
    await calls.waitForCustom("mcp-call-in-progress");
    await stats(mcp); // requests are read in order: the server is now running the hanging call
    const reconnected = status.waitForCustom("mcp-server-status", isStatus("connected"), true);
    process.kill(firstPid, "SIGKILL");

    const { turn, status: loopStatus } = await loop;
    expect(loopStatus).toBe("completed");
    const result = turn.blocks.find((block): block is ToolUseBlock => block.kind === "tool_use")!;
    expect(result.payload.error).toMatch(/MCP server "test" is unavailable/);
    expect(calls.ofType("custom").map((event) => event.name)).toContain("mcp-call-failed");

    await status.waitForCustom("mcp-server-status", isStatus("unavailable"));
    await reconnected;
    const secondPid = (await stats(mcp)).pid;
    expect(secondPid).not.toBe(firstPid);
  });

  it("while it is down its tools stay registered and calls get an error result the model sees", async () => {
    const status = new WaitingSink();
    mcp = new McpToolset(
      { test: STDIO_TEST_SERVER },
      { ctx: RunContext.background().withSinks(status), reconnect: { initialDelayMs: 60_000 } },
    );
    await mcp.ready();
    process.kill(mcp.connection("test")!.pid!, "SIGKILL");
    await status.waitForCustom("mcp-server-status", isStatus("unavailable"));
    expect(mcp.registry.has("test_echo")).toBe(true);
    const { results } = await executeToolCalls(
      [{ id: "c1", name: "test_echo", args: { text: "hi" } }],
      RunContext.background(),
      { registry: mcp.registry },
    );
    expect(results[0]).toMatchObject({ status: "error", error: expect.stringContaining("reconnecting") });
    await mcp.connection("test")!.connect();
    expect((await stats(mcp)).pid).toBeGreaterThan(0);
  });
});
