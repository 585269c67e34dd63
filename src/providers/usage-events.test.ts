import { describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../events/context.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { createClaudeEngine } from "./anthropic/index.ts";
import { createGeminiEngine } from "./gemini/index.ts";
import { serverOptions, setupLocalServer } from "./test-support.ts";

const server = setupLocalServer();
const input = newTurn([newUserTextBlock("hi")]);

describe("usage on event metadata as chunks arrive", () => {
  it("Anthropic: the input count from message_start is on the first partial, the output count on final", async () => {
    server.respond({ script: { text: "one two three", usage: { inputTokens: 12, outputTokens: 3 } } });
    const sink = new CollectingSink();
    const engine = createClaudeEngine({
      model: "claude-x",
      apiKey: "k",
      ...serverOptions(server, "anthropic"),
    });
    await engine.runInference(input, RunContext.background().withSinks(sink));
    expect(sink.ofType("partial")[0]?.meta.usage).toMatchObject({ inputTokens: 12, outputTokens: 1 });
    expect(sink.ofType("final")[0]?.meta.usage).toMatchObject({ inputTokens: 12, outputTokens: 3 });
  });

  it("Gemini: every chunk's usageMetadata is on the events that follow it", async () => {
    server.respond({ script: { text: "one two three", usage: { inputTokens: 7, outputTokens: 3 } } });
    const sink = new CollectingSink();
    const engine = createGeminiEngine({ model: "gemini-x", apiKey: "k", ...serverOptions(server, "gemini") });
    await engine.runInference(input, RunContext.background().withSinks(sink));
    const partials = sink.ofType("partial");
    expect(partials.length).toBeGreaterThan(1);
    expect(partials[1]?.meta.usage).toMatchObject({ inputTokens: 7 });
  });
});
