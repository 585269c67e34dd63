/**
 * The OpenAI Chat engine over real HTTP against the local provider server: a YAML round trip,
 * scripted streams, cancellation, cut connections and secrets.
 */
import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { CallerError, GeppettoError, TimeoutError } from "../../engine/errors.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { embeddedDefaultText } from "../../testing/embedded-default.ts";
import { chunkedToolCall, startDefaultProviderServer } from "../../testing/provider-server/index.ts";
import {
  appendBlock,
  assistantText,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../../turns/builders.ts";
import { turnFromYaml, turnToYaml } from "../../turns/serialization.ts";
import {
  cancelAtFirstText,
  engineFactory,
  fixturePath,
  replay,
  serverOptions,
  setupLocalServer,
} from "../test-support.ts";
import { createOpenAIChatEngine } from "./engine.ts";

const KEY = "sk-test-engine-key-987654321";
const server = setupLocalServer();

const engine = engineFactory(createOpenAIChatEngine, () => ({
  model: "gpt-4o-mini",
  apiKey: KEY,
  ...serverOptions(server, "openai-chat"),
}));

describe("round trip", () => {
  it("a Turn from a recorded tool-call stream, saved as YAML and loaded, continues with ids and results", async () => {
    server.respond({ fixture: fixturePath("openai-chat", "stream-text-then-tool-call.chunks.txt") });
    const first = await engine().runInference(
      newTurn([newUserTextBlock("Weather?")]),
      RunContext.background(),
    );
    const loaded = turnFromYaml(turnToYaml(first));
    const [call] = pendingToolCalls(loaded);
    const next = appendBlock(loaded, newToolUseBlock(call!.payload.id, { sunny: true }, { name: "weather" }));
    server.requests.length = 0;
    server.respond({ script: { text: "It is sunny." } });
    const answered = await engine().runInference(next, RunContext.background());
    expect(assistantText(answered)).toBe("PRE_TOOLIt is sunny.");
    expect((server.requests[0]!.body as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: "PRE_TOOL",
        tool_calls: [
          {
            id: "call_NZa7xqfefoaMI2YYHowVXVlU",
            type: "function",
            function: { name: "weather", arguments: "{}" },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_NZa7xqfefoaMI2YYHowVXVlU", content: '{"sunny":true}' },
    ]);
  });
});

describe("streams", () => {
  it("streams a tool call whose arguments arrive in 2000 chunks, one delta event each", async () => {
    const { turn, sink } = await replay(
      engine(),
      server,
      { script: chunkedToolCall(2000) },
      newTurn([newUserTextBlock("Write")]),
    );
    const [call] = pendingToolCalls(turn);
    expect(call?.payload.name).toBe("write_file");
    expect((call!.payload.args as { content: string }).content).toHaveLength(16_000);
    expect(sink.events.filter((event) => event.type === "tool-call-arguments-delta")).toHaveLength(2000);
    expect(KeyInferenceResult.get(turn)).toMatchObject({
      finishClass: "tool_calls_pending",
      stopReason: "tool_calls",
    });
  });

  it("turns reasoning_content of compatible servers into a reasoning block before the text", async () => {
    const { turn, sink } = await replay(
      engine(),
      server,
      { script: { reasoning: "Let me think.", text: "Answer." } },
      newTurn([newUserTextBlock("Q")]),
    );
    expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "reasoning", "llm_text"]);
    expect(turn.blocks[1]!.payload).toEqual({ text: "Let me think." });
    expect(sink.events.some((event) => event.type === "partial-thinking")).toBe(true);
  });

  it("reads a scripted non-streamed answer with usage and reasoning tokens", async () => {
    server.respond({
      script: {
        text: "Whole answer.",
        usage: { inputTokens: 5, outputTokens: 3, reasoningTokens: 2, cachedTokens: 4 },
      },
    });
    const turn = await engine({ stream: false }).runInference(
      newTurn([newUserTextBlock("Q")]),
      RunContext.background(),
    );
    expect(assistantText(turn)).toBe("Whole answer.");
    expect(KeyInferenceResult.get(turn)?.usage).toEqual({
      inputTokens: 5,
      outputTokens: 3,
      totalTokens: 8,
      cachedTokens: 4,
      reasoningTokens: 2,
    });
  });

  it("accepts a whole completion from a server that ignores stream: true", async () => {
    server.respond({ script: { text: "Not streamed." }, streaming: false });
    const turn = await engine().runInference(newTurn([newUserTextBlock("Q")]), RunContext.background());
    expect(assistantText(turn)).toBe("Not streamed.");
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "completed", stopReason: "stop" });
  });

  it("a cut connection gives an error event and a retryable error carrying the partial Turn", async () => {
    server.respond({ script: { text: "one two three four five six seven" }, faults: { cutAfterBytes: 700 } });
    const sink = new CollectingSink();
    const error = await engine()
      .runInference(newTurn([newUserTextBlock("Count")]), RunContext.background().withSinks(sink))
      .catch((caught: unknown) => caught);
    expect(GeppettoError.is(error)).toBe(true);
    const failure = error as GeppettoError;
    expect(failure.retryable).toBe(true);
    expect(assistantText(failure.turn!).length).toBeGreaterThan(0);
    expect(KeyInferenceResult.get(failure.turn!)?.finishClass).toBe("error");
    expect(sink.events.at(-1)).toMatchObject({ type: "error", retryable: true });
  });

  it("an error sent inside the stream that echoes the API key reaches neither the event nor the thrown error", async () => {
    const chunk = (delta: object) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta }] })}\n\n`;
    server.respond({
      raw: {
        frames: [
          chunk({ role: "assistant", content: "Half" }),
          `data: ${JSON.stringify({ error: { message: `invalid key ${KEY} for this org`, type: "invalid_request_error" } })}\n\n`,
        ],
        contentType: "text/event-stream",
      },
    });
    const sink = new CollectingSink();
    const failure = await engine()
      .runInference(newTurn([newUserTextBlock("hi")]), RunContext.background().withSinks(sink))
      .catch((error: unknown) => error);
    expect(GeppettoError.is(failure)).toBe(true);
    const error = failure as GeppettoError;
    expect(error.message).toContain("[redacted]");
    expect(error.message).not.toContain(KEY);
    expect(JSON.stringify(sink.events)).not.toContain(KEY);
    expect(sink.ofType("error")[0]?.text).toBe("Half");
  });

  it("a mid-stream error payload fails the inference with the provider's type, keeping the partial text", async () => {
    const chunk = (delta: string) =>
      `data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"${delta}"},"finish_reason":null}]}\n\n`;
    server.respond({
      raw: {
        frames: [
          chunk("Hello"),
          'data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n',
        ],
      },
    });
    const error = await engine()
      .runInference(newTurn([newUserTextBlock("Q")]), RunContext.background())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "provider_unavailable",
      retryable: true,
      details: { providerType: "server_error" },
    });
    expect(assistantText((error as GeppettoError).turn!)).toBe("Hello");
  });

  it("an idle stall becomes a TimeoutError with the partial Turn", async () => {
    server.respond({ script: { text: "a b c d" }, faults: { stallAfterBytes: 450 } });
    const error = await engine({ client: { idleTimeoutMs: 40, maxRetries: 0 } })
      .runInference(newTurn([newUserTextBlock("Q")]), RunContext.background())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).turn).toBeDefined();
  });

  it("cancellation resolves with the interrupted partial Turn", async () => {
    server.respond({ script: { text: "a b c d e f" }, faults: { stallAfterBytes: 450 } });
    const turn = await engine().runInference(newTurn([newUserTextBlock("Q")]), cancelAtFirstText());
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "interrupted", truncated: true });
    expect(assistantText(turn).length).toBeGreaterThan(0);
  });
});

describe("default local provider", () => {
  it("streams the embedded default's answer to the real engine, with usage and a stop reason", async () => {
    const local = await startDefaultProviderServer();
    try {
      const sink = new CollectingSink();
      const localEngine = createOpenAIChatEngine({
        model: "geppetto-local-default",
        apiKey: "local",
        baseURL: local.baseURL(),
      });
      const turn = await localEngine.runInference(
        newTurn([newUserTextBlock("Hello")]),
        RunContext.background().withSinks(sink),
      );
      expect(assistantText(turn)).toBe(embeddedDefaultText("Hello"));
      expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "completed", stopReason: "stop" });
      expect(KeyInferenceResult.get(turn)?.usage?.outputTokens).toBeGreaterThan(10);
      expect(sink.events.filter((event) => event.type === "partial").length).toBeGreaterThan(10);
    } finally {
      await local.close();
    }
  });
});

describe("configuration and secrets", () => {
  it("reads OPENAI_API_KEY and OPENAI_BASE_URL from the given environment", async () => {
    server.respond({ script: { text: "env" } });
    const fromEnv = createOpenAIChatEngine({
      model: "m",
      env: { OPENAI_API_KEY: "sk-from-env-123", OPENAI_BASE_URL: server.baseURL() },
    });
    const turn = await fromEnv.runInference(newTurn([newUserTextBlock("Q")]), RunContext.background());
    expect(assistantText(turn)).toBe("env");
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sk-from-env-123");
  });

  it("refuses the public endpoint without a key, with a clear caller error", async () => {
    const noKey = createOpenAIChatEngine({ model: "m", env: {} });
    await expect(
      noKey.runInference(newTurn([newUserTextBlock("Q")]), RunContext.background()),
    ).rejects.toBeInstanceOf(CallerError);
  });

  it("keeps the key out of errors and events when the provider echoes it", async () => {
    server.respond({
      error: {
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${KEY}.`, type: "invalid_request_error" } },
      },
    });
    const sink = new CollectingSink();
    const error = await engine()
      .runInference(newTurn([newUserTextBlock("Q")]), RunContext.background().withSinks(sink))
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toContain("[redacted]");
    expect((error as Error).message).not.toContain(KEY);
    expect(JSON.stringify(sink.events)).not.toContain(KEY);
    expect(JSON.stringify((error as GeppettoError).turn)).not.toContain(KEY);
  });
});
