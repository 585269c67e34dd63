import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { RunContext } from "../../events/context.ts";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { replayStreamedAndWhole, setupLocalServer } from "../test-support.ts";
import { createOpenAIResponsesEngine } from "./engine.ts";

const server = setupLocalServer();

describe("OpenAIResponsesEngine", () => {
  it("takes the key and base URL from OPENAI_API_KEY / OPENAI_BASE_URL, the key only in the header", async () => {
    server.respond({ script: { text: "hello" } });
    const engine = createOpenAIResponsesEngine({
      model: "gpt-4.1",
      env: { OPENAI_API_KEY: "sk-from-env-123", OPENAI_BASE_URL: server.baseURL("openai-responses") },
    });
    const turn = await engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background());
    expect(turn.blocks.at(-1)!.payload).toMatchObject({ text: "hello" });
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sk-from-env-123");
    expect(JSON.stringify(server.requests[0]!.body)).not.toContain("sk-from-env-123");
  });

  it("refuses to call the public API without a key, naming the variable", async () => {
    const engine = createOpenAIResponsesEngine({ model: "gpt-4.1", env: {} });
    await expect(
      engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background()),
    ).rejects.toThrow(/OPENAI_API_KEY/);
  });

  it("runs scripted reasoning and tool calls, streamed and whole, to the same Turn", async () => {
    const script = {
      reasoning: "Think first.",
      text: "Calling.",
      toolCalls: [{ id: "call_a", name: "lookup", arguments: { q: "x" }, chunks: 3 }],
    };
    const results = await replayStreamedAndWhole(server, { script }, (stream) =>
      createOpenAIResponsesEngine({
        model: "o4-mini",
        apiKey: "key-123456",
        baseURL: server.baseURL("openai-responses"),
        stream,
      }),
    );
    expect(results[0]).toEqual({
      kinds: ["user", "reasoning", "llm_text", "tool_call"],
      reasoning: {
        itemId: "rs_local_0",
        text: "Think first.",
        summary: ["Think first."],
        encryptedContent: "local-encrypted-reasoning",
      },
      calls: [{ id: "call_a", name: "lookup", args: { q: "x" }, itemId: "fc_local_2" }],
      finishClass: "tool_calls_pending",
    });
    expect(results[1]).toEqual(results[0]);
  });

  it("maps a scripted max_output_tokens stop to a truncated result", async () => {
    server.respond({ script: { text: "cut short", stopReason: "max_output_tokens" } });
    const engine = createOpenAIResponsesEngine({
      model: "gpt-4.1",
      apiKey: "key-123456",
      baseURL: server.baseURL("openai-responses"),
    });
    const turn = await engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background());
    expect(KeyInferenceResult.get(turn)).toMatchObject({
      finishClass: "max_tokens",
      truncated: true,
      stopReason: "max_output_tokens",
    });
  });
});
