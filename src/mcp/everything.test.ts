import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../events/context.ts";
import { createClaudeEngine } from "../providers/anthropic/engine.ts";
import { createOpenAIChatEngine } from "../providers/openai/engine.ts";
import { serverOptions, setupLocalServer } from "../providers/test-support.ts";
import { runToolLoop } from "../toolloop/loop.ts";
import { executeToolCalls } from "../tools/executor.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { McpToolset } from "./toolset.ts";

const EVERYTHING = createRequire(import.meta.url).resolve(
  "@modelcontextprotocol/server-everything/dist/index.js",
);
const server = setupLocalServer();
let mcp: McpToolset;

beforeAll(async () => {
  mcp = new McpToolset({ everything: { command: process.execPath, args: [EVERYTHING, "stdio"] } });
  await mcp.ready();
});
afterAll(async () => {
  await mcp.close();
});

function requestBody(index: number): Record<string, unknown> {
  return server.requests[index]!.body as Record<string, unknown>;
}

describe("the reference server @modelcontextprotocol/server-everything over stdio", () => {
  it("lists its tools with their schemas", () => {
    expect(mcp.connection("everything")!.status).toBe("connected");
    const names = mcp.registry.list().map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "everything_echo",
        "everything_get-sum",
        "everything_get-tiny-image",
        "everything_get-structured-content",
      ]),
    );
    expect(mcp.registry.get("everything_get-sum")!.parametersFor("openai-strict")).toMatchObject({
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      additionalProperties: false,
    });
    expect(mcp.registry.get("everything_get-sum")!.parametersFor("json-schema")).not.toHaveProperty(
      "$schema",
    );
  });

  it("runs several of its tools through the tool loop against the local provider server (OpenAI Chat)", async () => {
    server.enqueue(
      {
        script: {
          toolCalls: [
            { id: "call_echo", name: "everything_echo", arguments: { message: "hi" } },
            { id: "call_sum", name: "everything_get-sum", arguments: { a: 2, b: 3 } },
          ],
        },
      },
      { script: { text: "Done." } },
    );
    const engine = createOpenAIChatEngine({
      model: "gpt-4o-mini",
      apiKey: "test",
      ...serverOptions(server, "openai-chat"),
    });
    const { turn, status } = await runToolLoop(
      newTurn([newUserTextBlock("echo and add")]),
      RunContext.background(),
      {
        engine,
        registry: mcp.registry,
      },
    );
    expect(status).toBe("completed");
    const tools = requestBody(0).tools as { function: { name: string } }[];
    expect(tools.map((tool) => tool.function.name)).toContain("everything_get-sum");
    const toolMessages = (requestBody(1).messages as { role: string; content: string }[]).filter(
      (message) => message.role === "tool",
    );
    expect(toolMessages.map((message) => message.content)).toEqual(["Echo: hi", "The sum of 2 and 3 is 5."]);
    expect(turn.blocks.map((block) => block.kind)).toEqual([
      "user",
      "tool_call",
      "tool_call",
      "tool_use",
      "tool_use",
      "llm_text",
    ]);
  });

  it("publishes its progress notifications as mcp-call-progress events of the call", async () => {
    const sink = new CollectingSink();
    const { results } = await executeToolCalls(
      [
        {
          id: "call_long",
          name: "everything_trigger-long-running-operation",
          args: { duration: 0.06, steps: 3 },
        },
      ],
      RunContext.background().withSinks(sink),
      { registry: mcp.registry },
    );
    expect(results[0]!.status).toBe("ok");
    const progress = sink.ofType("custom").filter((event) => event.name === "mcp-call-progress");
    const expected = [1, 2, 3].map((step) => ({
      server: "everything",
      tool: "trigger-long-running-operation",
      toolCallId: "call_long",
      progress: step,
      total: 3,
    }));
    // The SDK handles a notification a tick later than a response: the last one, sent just before the result,
    // may find the call already answered. The earlier ones always arrive.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.map((event) => event.payload)).toEqual(expected.slice(0, progress.length));
  });

  it("sends its image back to Anthropic as an image block, and its structured content as JSON", async () => {
    server.enqueue(
      {
        script: {
          toolCalls: [
            { id: "toolu_image", name: "everything_get-tiny-image", arguments: {} },
            {
              id: "toolu_weather",
              name: "everything_get-structured-content",
              arguments: { location: "New York" },
            },
          ],
        },
      },
      { script: { text: "A logo." } },
    );
    const engine = createClaudeEngine({
      model: "claude-test",
      apiKey: "sk-ant-test-key",
      ...serverOptions(server, "anthropic"),
    });
    const { status } = await runToolLoop(
      newTurn([newUserTextBlock("show the image")]),
      RunContext.background(),
      {
        engine,
        registry: mcp.registry,
      },
    );
    expect(status).toBe("completed");
    const messages = requestBody(1).messages as {
      role: string;
      content: { type: string; content?: unknown }[];
    }[];
    const results = messages
      .flatMap((message) => message.content)
      .filter((block) => block.type === "tool_result");
    expect(results).toHaveLength(2);
    const image = results[0]!.content as { type: string; source?: { media_type: string } }[];
    expect(image.map((part) => part.type)).toContain("image");
    expect(image.find((part) => part.type === "image")!.source!.media_type).toBe("image/png");
    const weather = results[1]!.content as { type: string; text: string }[];
    expect(weather.at(-1)!.text).toMatch(/"temperature"/);
  });
});
