import { describe, expect, it } from "vitest";
import { CallerError } from "../../engine/errors.ts";
import { KeyStructuredOutputConfig } from "../../engine/structured-output.ts";
import { RunContext } from "../../events/context.ts";
import { newReasoningBlock, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { replay, replayStreamedAndWhole, setupLocalServer } from "../test-support.ts";
import { createClaudeEngine } from "./engine.ts";

const server = setupLocalServer();

describe("ClaudeEngine", () => {
  it("takes the key from ANTHROPIC_API_KEY and sends it only in x-api-key", async () => {
    server.respond({ script: { text: "hi there" } });
    const engine = createClaudeEngine({
      model: "claude-test",
      baseURL: server.url,
      env: { ANTHROPIC_API_KEY: "sk-ant-from-env-123" },
    });
    const turn = await engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background());
    expect(turn.blocks.at(-1)!.payload).toMatchObject({ text: "hi there" });
    const request = server.requests[0]!;
    expect(request.headers["x-api-key"]).toBe("sk-ant-from-env-123");
    expect(request.headers.authorization).toBeUndefined();
    expect(JSON.stringify(request.body)).not.toContain("sk-ant-from-env-123");
  });

  it("refuses to call the public API without a key, naming the variable", async () => {
    const engine = createClaudeEngine({ model: "claude-test", env: {} });
    await expect(
      engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background()),
    ).rejects.toThrow(/ANTHROPIC_API_KEY/);
  });

  it("rejects a thinking config that breaks the temperature rule before sending anything", async () => {
    const engine = createClaudeEngine({
      model: "claude-test",
      apiKey: "key-123456",
      baseURL: server.url,
      inference: { thinkingBudget: 2048, temperature: 0.5 },
    });
    const error = await engine
      .runInference(newTurn([newUserTextBlock("hi")]), RunContext.background())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CallerError);
    expect(server.requests).toHaveLength(0);
  });

  it("sends the structured-outputs beta header with output_format, and publishes dropped blocks as warnings", async () => {
    const engine = createClaudeEngine({ model: "claude-test", apiKey: "key-123456", baseURL: server.url });
    const turn = KeyStructuredOutputConfig.set(
      newTurn([newUserTextBlock("hi"), newReasoningBlock({ text: "unsigned" })]),
      { name: "answer", schema: { type: "object" } },
    );
    const { sink } = await replay(engine, server, { script: { text: '{"a":"b"}' } }, turn);
    expect(server.requests[0]!.headers["anthropic-beta"]).toBe("structured-outputs-2025-11-13");
    expect(sink.ofType("log").map((event) => event.message)).toEqual([
      "turn.blocks[1] (reasoning): reasoning without an Anthropic signature was dropped",
    ]);
  });

  it("runs scripted thinking and tool calls, streamed and whole, to the same Turn", async () => {
    const script = {
      reasoning: "Think first.",
      text: "Calling.",
      toolCalls: [{ id: "toolu_a", name: "lookup", arguments: { q: "x" }, chunks: 3 }],
    };
    const results = await replayStreamedAndWhole(server, { script }, (stream) =>
      createClaudeEngine({
        model: "claude-test",
        apiKey: "key-123456",
        baseURL: server.url,
        stream,
      }),
    );
    expect(results[0]).toEqual({
      kinds: ["user", "reasoning", "llm_text", "tool_call"],
      reasoning: { text: "Think first.", signature: "local-signature" },
      calls: [{ id: "toolu_a", name: "lookup", args: { q: "x" } }],
      finishClass: "tool_calls_pending",
    });
    expect(results[1]).toEqual(results[0]);
  });
});

describe("ClaudeEngine base URL", () => {
  it("accepts a base URL with or without /v1", async () => {
    for (const baseURL of [server.url, `${server.url}/v1`, `${server.url}/v1/`]) {
      server.respond({ script: { text: "ok" } });
      server.requests.length = 0;
      const engine = createClaudeEngine({ model: "claude-test", apiKey: "key-123456", baseURL });
      await engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background());
      expect(server.requests[0]!.path).toBe("/v1/messages");
    }
  });
});
