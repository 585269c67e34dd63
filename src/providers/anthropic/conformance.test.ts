/**
 * Wire conformance: every recorded Anthropic Messages file is replayed over real HTTP by the local provider
 * server and the engine's result is checked against the manifest's expected result.
 */
import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { GeppettoError, ProviderError } from "../../engine/errors.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { startProviderServer } from "../../testing/provider-server/index.ts";
import { assistantText, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { cancelAtFirstText, fixturePath, replay, serverOptions, setupLocalServer } from "../test-support.ts";
import { createClaudeEngine } from "./engine.ts";

const server = setupLocalServer();

function engine(stream = true) {
  return createClaudeEngine({
    model: "claude-sonnet-4-5",
    apiKey: "sk-ant-test-conformance-key",
    ...serverOptions(server, "anthropic"),
    stream,
  });
}

function replayFixture(name: string, stream = true) {
  return replay(engine(stream), server, { fixture: fixturePath("anthropic", name) });
}

describe("Anthropic conformance (recorded streams over HTTP)", () => {
  it("stream-text.chunks.txt", async () => {
    const { turn, result } = await replayFixture("stream-text.chunks.txt");
    expect(assistantText(turn)).toBe(
      "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(result).toMatchObject({
      provider: "anthropic",
      model: "claude-sonnet-4-5-20250929",
      stopReason: "end_turn",
      finishClass: "completed",
      usage: { inputTokens: 12, outputTokens: 30 },
    });
    const request = server.requests[0]!;
    expect(request.path).toBe("/v1/messages");
    expect(request.headers["x-api-key"]).toBe("sk-ant-test-conformance-key");
    expect(request.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request.body).toMatchObject({ model: "claude-sonnet-4-5", max_tokens: 4096, stream: true });
  });

  it("stream-raw-http.sse and stream-raw-http.httprr.txt", async () => {
    for (const name of ["stream-raw-http.sse", "stream-raw-http.httprr.txt"]) {
      const { turn, result } = await replayFixture(name);
      expect(assistantText(turn)).toBe("1\n2\n3\n4\n5");
      expect(result).toMatchObject({
        model: "claude-3-opus-20240229",
        stopReason: "end_turn",
        usage: { inputTokens: 15, outputTokens: 13 },
      });
    }
  });

  it("stream-redacted-thinking.sse", async () => {
    const { turn, reasoning, result } = await replayFixture("stream-redacted-thinking.sse");
    expect(reasoning.map((payload) => [payload.redacted, payload.encryptedContent?.length])).toEqual([
      [true, 744],
      [true, 296],
    ]);
    expect(
      assistantText(turn).startsWith("I notice that you've sent what appears to be some kind of test string"),
    ).toBe(true);
    expect(result).toMatchObject({ stopReason: "end_turn", usage: { inputTokens: 92, outputTokens: 189 } });
  });

  it("stream-redacted-thinking.cassette.yaml.txt: the cassette replays like its .sse body", async () => {
    const { turn, reasoning, result } = await replayFixture("stream-redacted-thinking.cassette.yaml.txt");
    expect(reasoning.map((payload) => [payload.redacted, payload.encryptedContent?.length])).toEqual([
      [true, 744],
      [true, 296],
    ]);
    expect(
      assistantText(turn).startsWith("I notice that you've sent what appears to be some kind of test string"),
    ).toBe(true);
    expect(result).toMatchObject({ stopReason: "end_turn", usage: { inputTokens: 92, outputTokens: 189 } });
  });

  it("stream-thinking-signature.chunks.txt", async () => {
    const { turn, reasoning, result } = await replayFixture("stream-thinking-signature.chunks.txt");
    expect(reasoning).toHaveLength(1);
    expect(reasoning[0]!.text).toBe(
      "The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185",
    );
    expect(reasoning[0]!.signature).toHaveLength(332);
    expect(assistantText(turn)).toBe("925 ÷ 5 = 185");
    expect(result).toMatchObject({ stopReason: "end_turn", usage: { inputTokens: 69, outputTokens: 53 } });
  });

  it("stream-text-then-tool-use.chunks.txt", async () => {
    const { turn, calls, result } = await replayFixture("stream-text-then-tool-use.chunks.txt");
    expect(assistantText(turn)).toBe("Let me check.");
    expect(calls).toEqual([
      { id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY", name: "get_weather", args: { city: "San Francisco" } },
    ]);
    expect(result).toMatchObject({
      stopReason: "tool_use",
      finishClass: "tool_calls_pending",
      usage: { inputTokens: 624, outputTokens: 59 },
    });
  });

  it("stream-parallel-tool-use.chunks.txt", async () => {
    const { calls, result } = await replayFixture("stream-parallel-tool-use.chunks.txt");
    expect(calls.map((call) => [call.name, call.args])).toEqual([
      ["searchDocs", { query: "alpha" }],
      ["searchDocs", { query: "beta" }],
      ["searchDocs", { query: "gamma" }],
    ]);
    expect(new Set(calls.map((call) => call.id)).size).toBe(3);
    expect(result).toMatchObject({ stopReason: "tool_use", usage: { inputTokens: 798, outputTokens: 110 } });
  });

  it("stream-tool-use-no-args.chunks.txt", async () => {
    const { turn, calls, result } = await replayFixture("stream-tool-use-no-args.chunks.txt");
    expect(assistantText(turn)).toBe("I'll update the issue list for you.");
    expect(calls).toMatchObject([{ name: "updateIssueList", args: {} }]);
    expect(result).toMatchObject({ stopReason: "tool_use", usage: { inputTokens: 565, outputTokens: 48 } });
  });

  it("stream-cache-write-max-tokens.chunks.txt", async () => {
    const { turn, result } = await replayFixture("stream-cache-write-max-tokens.chunks.txt");
    expect(assistantText(turn)).toBe("OK");
    expect(result).toMatchObject({
      model: "claude-sonnet-4-6",
      stopReason: "max_tokens",
      finishClass: "max_tokens",
      truncated: true,
      usage: { inputTokens: 3, outputTokens: 1, cacheCreationInputTokens: 18639, cacheReadInputTokens: 0 },
    });
  });

  it("stream-web-search-citations.chunks.txt", async () => {
    const { turn, sink, result } = await replayFixture("stream-web-search-citations.chunks.txt");
    const others = turn.blocks.filter((block) => block.kind === "other");
    expect(others[0]!.payload).toMatchObject({
      type: "anthropic.server_tool_use",
      data: { name: "web_search", input: { query: "tech news today September 26 2025" } },
    });
    const text = assistantText(turn);
    expect(text).toHaveLength(2402);
    expect(text.startsWith("Based on my search results")).toBe(true);
    expect(sink.ofType("citation")).toHaveLength(14);
    expect(result).toMatchObject({
      model: "claude-sonnet-4-20250514",
      stopReason: "end_turn",
      usage: { inputTokens: 15665, outputTokens: 795 },
    });
  });

  it("text.json (non-streaming)", async () => {
    const { turn, result } = await replayFixture("text.json", false);
    expect(assistantText(turn)).toBe(
      "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(server.requests[0]!.body).toMatchObject({ stream: false });
    expect(result).toMatchObject({ stopReason: "end_turn", usage: { inputTokens: 12, outputTokens: 29 } });
  });

  it("thinking-signature.json (non-streaming)", async () => {
    const { turn, reasoning, result } = await replayFixture("thinking-signature.json", false);
    expect(reasoning[0]).toMatchObject({ text: "925 divided by 5 = 185" });
    expect(reasoning[0]!.signature).toHaveLength(260);
    expect(assistantText(turn)).toBe("925 ÷ 5 = 185");
    expect(result).toMatchObject({ stopReason: "end_turn", usage: { inputTokens: 69, outputTokens: 33 } });
  });

  it("tool-use-no-args.json (non-streaming)", async () => {
    const { turn, calls, result } = await replayFixture("tool-use-no-args.json", false);
    expect(assistantText(turn).startsWith("<thinking>\nThe updateIssueList tool")).toBe(true);
    expect(calls).toMatchObject([{ name: "updateIssueList", args: {} }]);
    expect(result).toMatchObject({
      model: "claude-3-opus-20240229",
      stopReason: "tool_use",
      usage: { inputTokens: 602, outputTokens: 93 },
    });
  });

  it("max-tokens.json (non-streaming)", async () => {
    const { turn, result } = await replayFixture("max-tokens.json", false);
    expect(assistantText(turn)).toBe(
      "I need more information to prepare a brief for you. Could you please provide:\n\n1. **What kind of brief** do you need? (project brief",
    );
    expect(result).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      stopReason: "max_tokens",
      finishClass: "max_tokens",
      truncated: true,
      usage: { inputTokens: 2497, outputTokens: 32 },
    });
  });

  it("error-invalid-request.json: HTTP 400 becomes a ProviderError naming the problem", async () => {
    const error = await replayFixture("error-invalid-request.json").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.details).toMatchObject({ status: 400, providerType: "invalid_request_error" });
    expect(providerError.message).toContain("unexpected `tool_use_id` found in `tool_result` blocks");
    expect(providerError.retryable).toBe(false);
    expect(providerError.message).not.toContain("sk-ant-test-conformance-key");
  });

  it("a mid-stream overloaded_error: error event, retryable error, partial text kept", async () => {
    // Scripted stream with an `error` event injected after the text: serve it as raw SSE frames.
    const frames = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_x","model":"claude-test","usage":{"input_tokens":5,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"partial "}}\n\n',
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    ];
    const overloaded = await startProviderServer({
      protocols: [
        {
          name: "anthropic-overloaded",
          basePath: "",
          matches: (method, path) => method === "POST" && path === "/v1/messages",
          wantsStream: () => true,
          render: () => ({ status: 200, headers: { "content-type": "text/event-stream" }, frames }),
        },
      ],
    });
    try {
      const sink = new CollectingSink();
      const error = await createClaudeEngine({
        model: "claude-test",
        apiKey: "key-123456",
        baseURL: overloaded.url,
      })
        .runInference(newTurn([newUserTextBlock("hi")]), RunContext.background().withSinks(sink))
        .catch((caught: unknown) => caught);
      expect(GeppettoError.is(error)).toBe(true);
      const failure = error as ProviderError;
      expect(failure.retryable).toBe(true);
      expect(failure.details.providerType).toBe("overloaded_error");
      expect(assistantText(failure.turn!)).toBe("partial ");
      expect(sink.ofType("error")).toMatchObject([{ retryable: true, text: "partial " }]);
    } finally {
      await overloaded.close();
    }
  });

  it("keeps the partial text and resolves when the caller cancels mid-stream", async () => {
    server.respond({ script: { tokens: ["one ", "two ", "three"] }, pacingMs: 5 });
    const turn = await engine().runInference(newTurn([newUserTextBlock("count")]), cancelAtFirstText());
    expect(assistantText(turn)).toBe("one ");
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "interrupted", truncated: true });
  });
});
