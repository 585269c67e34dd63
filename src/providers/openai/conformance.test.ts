/**
 * Wire conformance: every recorded OpenAI Chat file is replayed over real HTTP by the local provider server and
 * the engine's result is checked against the manifest's expected result.
 */
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../engine/errors.ts";
import { assistantText } from "../../turns/builders.ts";
import { fixturePath, replay, serverOptions, setupLocalServer } from "../test-support.ts";
import { createOpenAIChatEngine } from "./engine.ts";

const server = setupLocalServer();

function replayFixture(name: string, options: { stream?: boolean } = {}) {
  const engine = createOpenAIChatEngine({
    model: "gpt-4o-mini",
    apiKey: "sk-test-conformance-key",
    ...serverOptions(server, "openai-chat"),
    stream: options.stream ?? true,
  });
  return replay(engine, server, { fixture: fixturePath("openai-chat", name) });
}

describe("OpenAI Chat conformance (recorded files over HTTP)", () => {
  it("stream-text-usage.sse: text, stop, usage", async () => {
    const { turn, result, sink } = await replayFixture("stream-text-usage.sse");
    expect(assistantText(turn)).toBe(
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    );
    expect(result).toMatchObject({
      provider: "openai",
      stopReason: "stop",
      finishClass: "completed",
      truncated: false,
    });
    expect(result.usage).toMatchObject({ inputTokens: 14, outputTokens: 30, totalTokens: 44 });
    expect(sink.events.filter((event) => event.type === "partial").length).toBeGreaterThan(10);
    expect(sink.events.at(-1)?.type).toBe("final");
  });

  it("stream-tool-call.sse: one tool call with split arguments", async () => {
    const { calls, result, sink } = await replayFixture("stream-tool-call.sse");
    expect(calls).toEqual([
      {
        id: "call_c91SqDXlYFuETYv8mUHzz6pp",
        name: "GetWeatherArgs",
        args: { city: "Edinburgh", country: "UK", units: "c" },
      },
    ]);
    expect(result).toMatchObject({ stopReason: "tool_calls", finishClass: "tool_calls_pending" });
    expect(result.usage).toMatchObject({ inputTokens: 76, outputTokens: 24, totalTokens: 100 });
    const deltas = sink.events.filter((event) => event.type === "tool-call-arguments-delta");
    expect(deltas.map((event) => (event as { delta: string }).delta).join("")).toBe(
      '{"city":"Edinburgh","country":"UK","units":"c"}',
    );
    expect(sink.events.filter((event) => event.type === "tool-call")).toHaveLength(1);
  });

  it("stream-parallel-tool-calls.sse: two calls merged by index", async () => {
    const { calls, result, sink } = await replayFixture("stream-parallel-tool-calls.sse");
    expect(calls).toEqual([
      {
        id: "call_JMW1whyEaYG438VE1OIflxA2",
        name: "GetWeatherArgs",
        args: { city: "Edinburgh", country: "GB", units: "c" },
      },
      {
        id: "call_DNYTawLBoN8fj3KN6qU9N1Ou",
        name: "get_stock_price",
        args: { ticker: "AAPL", exchange: "NASDAQ" },
      },
    ]);
    expect(result).toMatchObject({ stopReason: "tool_calls", finishClass: "tool_calls_pending" });
    expect(result.usage).toMatchObject({ inputTokens: 149, outputTokens: 60, totalTokens: 209 });
    const toolCallEvents = sink.events.filter((event) => event.type === "tool-call");
    expect(toolCallEvents.map((event) => (event as { toolCall: { name: string } }).toolCall.name)).toEqual([
      "GetWeatherArgs",
      "get_stock_price",
    ]);
  });

  it("stream-text-then-tool-call.chunks.txt: text then a call with {} arguments", async () => {
    const { turn, calls, result } = await replayFixture("stream-text-then-tool-call.chunks.txt");
    expect(assistantText(turn)).toBe("PRE_TOOL");
    expect(calls).toEqual([{ id: "call_NZa7xqfefoaMI2YYHowVXVlU", name: "weather", args: {} }]);
    expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "llm_text", "tool_call"]);
    expect(result).toMatchObject({ stopReason: "tool_calls", finishClass: "tool_calls_pending" });
    expect(result.usage).toMatchObject({ inputTokens: 58, outputTokens: 12, totalTokens: 70 });
  });

  it("stream-text-long.chunks.txt: ~300 deltas, usage details", async () => {
    const { turn, result } = await replayFixture("stream-text-long.chunks.txt");
    const text = assistantText(turn);
    expect(text.startsWith("**Holiday Name:** Harmony Day")).toBe(true);
    expect(text).toHaveLength(1724);
    expect(result).toMatchObject({
      model: "gpt-4.1-nano-2025-04-14",
      stopReason: "stop",
      finishClass: "completed",
    });
    expect(result.usage).toMatchObject({ inputTokens: 16, outputTokens: 300, totalTokens: 316 });
  });

  it("stream-azure-content-filter.chunks.txt: empty first choices, reasoning tokens", async () => {
    const { turn, result } = await replayFixture("stream-azure-content-filter.chunks.txt");
    expect(assistantText(turn)).toBe("Capital of Denmark.");
    expect(result).toMatchObject({
      model: "gpt-5-nano-2025-08-07",
      stopReason: "stop",
      finishClass: "completed",
    });
    expect(result.usage).toMatchObject({
      inputTokens: 15,
      outputTokens: 78,
      totalTokens: 93,
      reasoningTokens: 64,
    });
  });

  it("stream-content-logprobs.sse: text with logprobs ignored", async () => {
    const { turn, result } = await replayFixture("stream-content-logprobs.sse");
    expect(assistantText(turn)).toBe("Foo!");
    expect(result).toMatchObject({ stopReason: "stop", finishClass: "completed" });
    expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 2, totalTokens: 11 });
  });

  it("stream-finish-length.sse: truncated after one token", async () => {
    const { turn, result } = await replayFixture("stream-finish-length.sse");
    expect(assistantText(turn)).toBe('{"');
    expect(result).toMatchObject({ stopReason: "length", finishClass: "max_tokens", truncated: true });
    expect(result.usage).toMatchObject({ inputTokens: 79, outputTokens: 1, totalTokens: 80 });
  });

  it("stream-n3-choices.sse: choice 0 only", async () => {
    const { turn, result } = await replayFixture("stream-n3-choices.sse");
    expect(JSON.parse(assistantText(turn))).toEqual({ city: "San Francisco", temperature: 65, units: "f" });
    expect(result).toMatchObject({ stopReason: "stop", finishClass: "completed" });
    expect(result.usage).toMatchObject({ inputTokens: 79, outputTokens: 42, totalTokens: 121 });
  });

  it("stream-refusal.sse: refusal kept as an openai.refusal block, not as answer text", async () => {
    const { turn, result, sink } = await replayFixture("stream-refusal.sse");
    expect(assistantText(turn)).toBe("");
    const refusal = turn.blocks.find((block) => block.kind === "other");
    expect(refusal?.payload).toEqual({
      type: "openai.refusal",
      data: { text: "I'm sorry, I can't assist with that request." },
    });
    expect(sink.events.some((event) => event.type === "info" && event.message === "refusal")).toBe(true);
    expect(result).toMatchObject({ stopReason: "stop", finishClass: "completed" });
    expect(result.usage).toMatchObject({ inputTokens: 79, outputTokens: 11, totalTokens: 90 });
  });

  it("text.json: non-streaming text", async () => {
    const { turn, result } = await replayFixture("text.json", { stream: false });
    const text = assistantText(turn);
    expect(text.startsWith("**Holiday Name:** Galaxy Day")).toBe(true);
    expect(text).toHaveLength(1842);
    expect(result).toMatchObject({
      model: "gpt-4.1-nano-2025-04-14",
      stopReason: "stop",
      finishClass: "completed",
    });
    expect(result.usage).toMatchObject({ inputTokens: 16, outputTokens: 363, totalTokens: 379 });
    expect(server.requests[0]?.body).not.toHaveProperty("stream");
  });

  for (const name of ["tool-call.json", "tool-call.httprr.txt"]) {
    it(`${name}: non-streaming tool call`, async () => {
      const { calls, result } = await replayFixture(name, { stream: false });
      expect(calls).toEqual([
        { id: "call_olc8qHf1RDItRqwuEBNjsu3B", name: "getCurrentWeather", args: { location: "Boston" } },
      ]);
      expect(result).toMatchObject({
        model: "gpt-3.5-turbo-0125",
        stopReason: "tool_calls",
        finishClass: "tool_calls_pending",
      });
      expect(result.usage).toMatchObject({ inputTokens: 81, outputTokens: 14, totalTokens: 95 });
    });
  }

  it("tool-call.httprr.txt: request id from the recorded headers", async () => {
    const { result } = await replayFixture("tool-call.httprr.txt", { stream: false });
    expect(result.requestId).toBe("req_b0e29abccfdc4d798f989feba1d6262b");
  });

  it("error-unsupported-parameter.json: HTTP 400 becomes a ProviderError with every detail", async () => {
    const error = await replayFixture("error-unsupported-parameter.json").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.details).toMatchObject({
      provider: "openai",
      status: 400,
      providerType: "invalid_request_error",
      providerCode: "unsupported_parameter",
      param: "max_tokens",
    });
    expect(providerError.message).toContain("Use 'max_completion_tokens' instead.");
    expect(providerError.retryable).toBe(false);
    expect(providerError.code).toBe("invalid_request");
    expect(providerError.turn?.blocks.map((block) => block.kind)).toEqual(["user"]);
  });
});
