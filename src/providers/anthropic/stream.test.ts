import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import type { Turn } from "../../turns/types.ts";
import { fixtureLines, fixturePath, runStreamHandler } from "../test-support.ts";
import { SseSplitter } from "../transport/index.ts";
import { KeyAnthropicCitations, KeyAnthropicContentIndex, KeyAnthropicMessageId } from "./descriptor.ts";
import { ClaudeStreamHandler, usageFromAnthropic } from "./stream.ts";
import type { AnthropicResponseMessage, AnthropicStreamEvent } from "./wire.ts";

const read = (name: string) => readFileSync(fixturePath("anthropic", name), "utf8");

function chunks(name: string): AnthropicStreamEvent[] {
  return fixtureLines<AnthropicStreamEvent>("anthropic", name);
}

function sse(name: string): AnthropicStreamEvent[] {
  const events: AnthropicStreamEvent[] = [];
  const splitter = new SseSplitter((data) => events.push(JSON.parse(data) as AnthropicStreamEvent));
  splitter.push(read(name));
  splitter.end();
  return events;
}

function run(input: AnthropicStreamEvent[] | AnthropicResponseMessage) {
  return runStreamHandler("anthropic", (out) => {
    const handler = new ClaudeStreamHandler(out);
    if (Array.isArray(input)) for (const event of input) handler.handle(event);
    else handler.handleMessage(input);
    return handler.outcome;
  });
}

const textOf = (blocks: Turn["blocks"]) =>
  blocks
    .filter((block) => block.kind === "llm_text")
    .map((block) => (block.payload as { text: string }).text)
    .join("");

describe("ClaudeStreamHandler", () => {
  it("streams text, usage and the stop reason", () => {
    const { output, result, sink } = run(chunks("stream-text.chunks.txt"));
    expect(textOf(output)).toBe(
      "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(KeyAnthropicMessageId.get(output[0]!)).toMatch(/^msg_/);
    expect(KeyAnthropicContentIndex.get(output[0]!)).toBe(0);
    expect(sink.ofType("final")).toHaveLength(1);
    expect(result).toMatchObject({
      finishClass: "completed",
      stopReason: "end_turn",
      model: "claude-sonnet-4-5-20250929",
      usage: { inputTokens: 12, outputTokens: 30 },
    });
  });

  it("reads raw SSE with event lines, pings and padded JSON", () => {
    const { output, result } = run(sse("stream-raw-http.sse"));
    expect(textOf(output)).toBe("1\n2\n3\n4\n5");
    expect(result).toMatchObject({ stopReason: "end_turn", usage: { inputTokens: 15, outputTokens: 13 } });
  });

  it("keeps thinking with its signature, then text", () => {
    const { output, sink, result } = run(chunks("stream-thinking-signature.chunks.txt"));
    expect(output.map((block) => block.kind)).toEqual(["reasoning", "llm_text"]);
    const reasoning = output[0]!.payload as { text?: string; signature?: string };
    expect(reasoning.text).toBe(
      "The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185",
    );
    expect(reasoning.signature).toHaveLength(332);
    expect(textOf(output)).toBe("925 ÷ 5 = 185");
    expect(sink.ofType("partial-thinking").length).toBeGreaterThan(5);
    expect(sink.ofType("info").map((event) => event.message)).toEqual(["thinking-started", "thinking-ended"]);
    expect(result.usage).toMatchObject({ inputTokens: 69, outputTokens: 53 });
  });

  it("keeps redacted thinking blocks with their opaque data", () => {
    const { output, result } = run(sse("stream-redacted-thinking.sse"));
    expect(output.map((block) => block.kind)).toEqual(["reasoning", "reasoning", "llm_text"]);
    expect(output[0]!.payload).toMatchObject({ redacted: true });
    expect((output[0]!.payload as { encryptedContent: string }).encryptedContent).toHaveLength(744);
    expect((output[1]!.payload as { encryptedContent: string }).encryptedContent).toHaveLength(296);
    expect(
      textOf(output).startsWith("I notice that you've sent what appears to be some kind of test string"),
    ).toBe(true);
    expect(result.usage).toMatchObject({ inputTokens: 92, outputTokens: 189 });
  });

  it("streams a tool call after text", () => {
    const { output, sink, result } = run(chunks("stream-text-then-tool-use.chunks.txt"));
    expect(textOf(output)).toBe("Let me check.");
    const call = output.find((block) => block.kind === "tool_call")!;
    expect(call.payload).toEqual({
      id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY",
      name: "get_weather",
      args: { city: "San Francisco" },
    });
    expect(sink.ofType("tool-call-arguments-delta").length).toBeGreaterThan(1);
    expect(result).toMatchObject({ finishClass: "tool_calls_pending", stopReason: "tool_use" });
    expect(result.usage).toMatchObject({ inputTokens: 624, outputTokens: 59 });
  });

  it("streams parallel tool calls and a tool call without arguments", () => {
    const parallel = run(chunks("stream-parallel-tool-use.chunks.txt"));
    const calls = parallel.output.filter((block) => block.kind === "tool_call").map((block) => block.payload);
    expect(calls.map((call) => (call as { args: unknown }).args)).toEqual([
      { query: "alpha" },
      { query: "beta" },
      { query: "gamma" },
    ]);
    expect(parallel.result.usage).toMatchObject({ inputTokens: 798, outputTokens: 110 });
    const noArgs = run(chunks("stream-tool-use-no-args.chunks.txt"));
    const call = noArgs.output.find((block) => block.kind === "tool_call")!;
    expect(call.payload).toMatchObject({ name: "updateIssueList", args: {} });
    expect(noArgs.result.usage).toMatchObject({ inputTokens: 565, outputTokens: 48 });
  });

  it("reports cache writes and max_tokens as truncated", () => {
    const { result } = run(chunks("stream-cache-write-max-tokens.chunks.txt"));
    expect(result).toMatchObject({
      finishClass: "max_tokens",
      truncated: true,
      stopReason: "max_tokens",
      usage: { inputTokens: 3, outputTokens: 1, cacheCreationInputTokens: 18639, cacheReadInputTokens: 0 },
    });
  });

  it("keeps server tool use and web search results as other blocks, citations on text", () => {
    const { output, sink, result } = run(chunks("stream-web-search-citations.chunks.txt"));
    const others = output.filter((block) => block.kind === "other");
    expect(others.map((block) => (block.payload as { type: string }).type)).toEqual([
      "anthropic.server_tool_use",
      "anthropic.web_search_tool_result",
    ]);
    expect(others[0]!.payload).toMatchObject({
      data: {
        type: "server_tool_use",
        name: "web_search",
        input: { query: "tech news today September 26 2025" },
      },
    });
    expect(sink.ofType("web-search-started")[0]!.query).toBe("tech news today September 26 2025");
    expect(sink.ofType("web-search-done")).toHaveLength(1);
    expect(sink.ofType("citation")).toHaveLength(14);
    const text = textOf(output);
    expect(text).toHaveLength(2402);
    expect(text.startsWith("Based on my search results")).toBe(true);
    const cited = output.filter((block) => KeyAnthropicCitations.get(block) !== undefined);
    expect(cited.length).toBeGreaterThan(0);
    expect(result.usage).toMatchObject({ inputTokens: 15665, outputTokens: 795 });
  });

  it("turns a mid-stream overloaded error into a retryable provider error with the partial text", () => {
    const events = chunks("stream-text.chunks.txt");
    const cut = events.findIndex((event) => event.type === "content_block_stop");
    const { outcome, sink, turn } = run([
      ...events.slice(0, cut),
      { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    ]);
    expect(outcome.kind).toBe("failed");
    if (outcome.kind !== "failed") return;
    expect(outcome.error.retryable).toBe(true);
    expect(outcome.error.details.providerType).toBe("overloaded_error");
    expect(sink.ofType("error")[0]!.retryable).toBe(true);
    expect(textOf(turn.blocks).length).toBeGreaterThan(0);
    expect(KeyInferenceResult.get(turn)!.finishClass).toBe("error");
  });
});

describe("ClaudeStreamHandler.handleMessage (non-streaming)", () => {
  const load = (name: string) => JSON.parse(read(name)) as AnthropicResponseMessage;

  it("reads text", () => {
    const { output, result } = run(load("text.json"));
    expect(textOf(output)).toBe(
      "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(result).toMatchObject({ stopReason: "end_turn", usage: { inputTokens: 12, outputTokens: 29 } });
  });

  it("reads thinking with its signature", () => {
    const { output, result } = run(load("thinking-signature.json"));
    expect(output[0]!.payload).toMatchObject({ text: "925 divided by 5 = 185" });
    expect((output[0]!.payload as { signature: string }).signature).toHaveLength(260);
    expect(textOf(output)).toBe("925 ÷ 5 = 185");
    expect(result.usage).toMatchObject({ inputTokens: 69, outputTokens: 33 });
  });

  it("reads a tool call without arguments", () => {
    const { output, result } = run(load("tool-use-no-args.json"));
    expect(textOf(output).startsWith("<thinking>\nThe updateIssueList tool")).toBe(true);
    expect(output.find((block) => block.kind === "tool_call")!.payload).toMatchObject({
      name: "updateIssueList",
      args: {},
    });
    expect(result).toMatchObject({
      finishClass: "tool_calls_pending",
      usage: { inputTokens: 602, outputTokens: 93 },
    });
  });

  it("reads a truncated answer", () => {
    const { result } = run(load("max-tokens.json"));
    expect(result).toMatchObject({
      finishClass: "max_tokens",
      truncated: true,
      usage: { inputTokens: 2497, outputTokens: 32 },
    });
  });
});

describe("usageFromAnthropic", () => {
  it("reports output_tokens_details.thinking_tokens as reasoning tokens", () => {
    expect(
      usageFromAnthropic({
        input_tokens: 12,
        output_tokens: 300,
        output_tokens_details: { thinking_tokens: 220 },
      }),
    ).toEqual({ inputTokens: 12, outputTokens: 300, reasoningTokens: 220 });
    expect(usageFromAnthropic({ output_tokens: 5, output_tokens_details: null })).toEqual({
      outputTokens: 5,
    });
  });
});

describe("ClaudeStreamHandler.handleData", () => {
  const streams = [
    "stream-text.chunks.txt",
    "stream-text-then-tool-use.chunks.txt",
    "stream-parallel-tool-use.chunks.txt",
    "stream-thinking-signature.chunks.txt",
    "stream-web-search-citations.chunks.txt",
    "stream-cache-write-max-tokens.chunks.txt",
  ];
  const withoutTimes = (events: { meta: object }[]) =>
    events.map((event) => ({ ...event, meta: { ...event.meta, id: "", durationMs: 0 } }));

  it.each(streams)(
    "gives the blocks and events of handle() for %s (its text short path included)",
    (name) => {
      const events = chunks(name);
      const viaHandle = run(events);
      const viaData = runStreamHandler("anthropic", (out) => {
        const handler = new ClaudeStreamHandler(out);
        for (const event of events) handler.handleData(JSON.stringify(event));
        return handler.outcome;
      });
      const blocks = (turn: Turn) => turn.blocks.slice(1).map(({ id: _id, ...block }) => block);
      expect(blocks(viaData.turn)).toEqual(blocks(viaHandle.turn));
      expect(withoutTimes(viaData.sink.events).map(({ meta: _meta, ...event }) => event)).toEqual(
        withoutTimes(viaHandle.sink.events).map(({ meta: _meta, ...event }) => event),
      );
    },
  );

  it("throws the error of an error event after text deltas, with the text kept", () => {
    const events: AnthropicStreamEvent[] = [
      { type: "message_start", message: { id: "msg_1", model: "claude" } },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } },
      { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    ];
    const { turn } = runStreamHandler("anthropic", (out) => {
      const handler = new ClaudeStreamHandler(out);
      try {
        for (const event of events) handler.handleData(JSON.stringify(event));
      } catch (error) {
        return { kind: "failed", error };
      }
      return handler.outcome;
    });
    expect(textOf(turn.blocks.slice(1))).toBe("Hello");
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "error" });
  });
});

describe("ClaudeStreamHandler.handleData, a text delta read without parsing the whole event", () => {
  const start = [
    '{"type":"message_start","message":{"id":"msg_1","model":"claude-test","usage":{"input_tokens":3,"output_tokens":1}}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
  ];
  const end = [
    '{"type":"content_block_stop","index":0}',
    '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}',
    '{"type":"message_stop"}',
  ];
  const deltas = [
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"plain"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" padded"}      }',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" \\"quoted\\" \\\\ \\u00e9 日本"} \t }',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" a","extra":"b"}}',
    '{"type":"content_block_delta","index":0,"delta":{"text":" reordered","type":"text_delta"}}',
    '{ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": " spaced" } }',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"}"}}',
  ];

  function partials(feed: (handler: ClaudeStreamHandler, data: string) => void) {
    const { output, sink, result } = runStreamHandler("anthropic", (out) => {
      const handler = new ClaudeStreamHandler(out);
      for (const data of [...start, ...deltas, ...end]) feed(handler, data);
      return handler.outcome;
    });
    return { text: textOf(output), deltas: sink.ofType("partial").map((event) => event.delta), result };
  }

  it("yields the same text, partials and result as parsing every event whole", () => {
    const whole = partials((handler, data) => handler.handle(JSON.parse(data) as AnthropicStreamEvent));
    const short = partials((handler, data) => handler.handleData(data));
    expect(short).toEqual(whole);
    expect(short.text).toBe('plain padded "quoted" \\ é 日本 a reordered spaced}');
    expect(short.result).toMatchObject({ stopReason: "end_turn", usage: { outputTokens: 9 } });
  });

  it("reads a tool use's input deltas the same way, and every shape next to them as parsing them whole", () => {
    const json = (literal: string, close = "}}") =>
      `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":${literal}${close}`;
    const events = [
      ...start,
      deltas[0]!,
      '{"type":"content_block_stop","index":0}',
      '{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"find","input":{}}}',
      json('""'),
      json('"{\\"q\\": \\"日本"'),
      json('" \\\\ \\u00e9"', "}   }"),
      json('"a long piece of json text"'),
      '{"type":"content_block_delta","index":1,"delta":{"partial_json":"\\"}","type":"input_json_delta"}}',
      '{"type":"content_block_stop","index":1}',
      '{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}',
      '{"type":"message_stop"}',
    ];
    const feed = (each: (handler: ClaudeStreamHandler, data: string) => void) =>
      runStreamHandler("anthropic", (out) => {
        const handler = new ClaudeStreamHandler(out);
        for (const data of events) each(handler, data);
        return handler.outcome;
      });
    const whole = feed((handler, data) => handler.handle(JSON.parse(data) as AnthropicStreamEvent));
    const parse = vi.spyOn(JSON, "parse");
    const short = feed((handler, data) => handler.handleData(data));
    const parsedInputs = parse.mock.calls.filter(([data]) => String(data).includes('"input_json_delta"'));
    parse.mockRestore();
    // The empty delta and the first one with text (which teaches the short path), then the reordered one.
    expect(parsedInputs).toHaveLength(3);
    const blocks = (turn: Turn) => turn.blocks.slice(1).map(({ id: _id, ...block }) => block);
    const events_ = (sink: typeof whole.sink) => sink.events.map(({ meta: _meta, ...event }) => event);
    expect(blocks(short.turn)).toEqual(blocks(whole.turn));
    expect(events_(short.sink)).toEqual(events_(whole.sink));
    const call = short.output.find((block) => block.kind === "tool_call");
    expect(call?.payload).toMatchObject({ argsText: '{"q": "日本 \\ éa long piece of json text"}' });
  });

  it("still rejects a malformed text delta", () => {
    expect(() =>
      runStreamHandler("anthropic", (out) => {
        const handler = new ClaudeStreamHandler(out);
        for (const data of start) handler.handleData(data);
        handler.handleData(
          '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ab\\"}}',
        );
        return handler.outcome;
      }),
    ).toThrow(SyntaxError);
  });
});
