/**
 * OpenAI Chat stream reading: a content or tool-call arguments delta read from the chunk's source (the short
 * path) gives exactly what parsing the chunk whole gives, on recorded streams and on every shape next to the
 * short path's.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Turn } from "../../turns/types.ts";
import { fixturePath, runStreamHandler } from "../test-support.ts";
import { SseSplitter } from "../transport/index.ts";
import { ChatStreamReader } from "./stream.ts";
import type { ChatChunk } from "./wire.ts";

/** The `data:` payloads of a recorded stream, as their bytes came. */
function payloads(name: string): string[] {
  const text = readFileSync(fixturePath("openai-chat", name), "utf8");
  if (name.endsWith(".chunks.txt")) return text.split("\n").filter((line) => line.trim().length > 0);
  const data: string[] = [];
  const splitter = new SseSplitter((payload) => data.push(payload));
  splitter.push(text);
  splitter.end();
  return data;
}

/** Feeds the payloads one way; the blocks (without ids), the events (without ids and times) and the result. */
function read(data: string[], feed: (reader: ChatStreamReader, payload: string) => void) {
  const { turn, sink, result } = runStreamHandler("openai", (out) => {
    const reader = new ChatStreamReader(out);
    try {
      for (const payload of data) feed(reader, payload);
      reader.end();
    } catch (error) {
      return { kind: "failed", error };
    }
    return { kind: "ok" };
  });
  const blocks = (of: Turn) => of.blocks.slice(1).map(({ id: _id, ...block }) => block);
  const events = sink.events.map(({ meta: _meta, ...event }) => event);
  const { durationMs: _duration, ...stable } = result as typeof result & { durationMs?: number };
  return { blocks: blocks(turn), events, result: stable };
}

const whole = (reader: ChatStreamReader, payload: string) =>
  payload === "[DONE]" ? reader.onEvent(payload) : reader.chunk(JSON.parse(payload) as ChatChunk);
const fromSource = (reader: ChatStreamReader, payload: string) => reader.onEvent(payload);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ChatStreamReader.onEvent on recorded streams", () => {
  const streams = [
    "stream-text-long.chunks.txt",
    "stream-text-then-tool-call.chunks.txt",
    "stream-azure-content-filter.chunks.txt",
    "stream-content-logprobs.sse",
    "stream-finish-length.sse",
    "stream-n3-choices.sse",
    "stream-parallel-tool-calls.sse",
    "stream-refusal.sse",
    "stream-structured-output.sse",
    "stream-text-usage.sse",
    "stream-tool-call.sse",
  ];

  it.each(streams)("gives the blocks, events and result of parsing every chunk whole for %s", (name) => {
    const data = payloads(name);
    expect(read(data, fromSource)).toEqual(read(data, whole));
  });

  /** How many chunks reading `data` from its source parsed whole. */
  function parsedWhole(data: string[]) {
    const parse = vi.spyOn(JSON, "parse");
    const read_ = read(data, fromSource);
    const whole = parse.mock.calls.filter(([text]) => typeof text === "string" && text.startsWith('{"id"'));
    return { ...read_, parsed: whole.length };
  }

  it("parses only the first chunks of a long answer whole", () => {
    const data = payloads("stream-text-long.chunks.txt");
    const { blocks, parsed } = parsedWhole(data);
    expect(data.length).toBeGreaterThan(250);
    // The role chunk, the first content chunk (which teaches the short path), the finish chunk, the usage chunk.
    expect(parsed).toBe(4);
    expect(blocks[0]).toMatchObject({
      kind: "llm_text",
      payload: { text: expect.stringMatching(/^\*\*Holiday/) },
    });
  });

  it("parses only the first chunks of each streamed tool call whole", () => {
    const data = payloads("stream-parallel-tool-calls.sse");
    const { blocks, parsed } = parsedWhole(data);
    const calls = blocks.filter((block) => block.kind === "tool_call");
    expect(calls).toHaveLength(2);
    // The role chunk; per call, its start chunk and its first arguments chunk; the finish and usage chunks.
    expect(parsed).toBe(7);
    expect(data.length).toBeGreaterThan(15);
  });
});

describe("ChatStreamReader.onEvent next to the short path's shape", () => {
  const head =
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":';
  const end = ',"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"Qup1"}';
  const content = (literal: string, tail = end) => `${head}{"content":${literal}}${tail}`;
  const data = [
    `${head}{"role":"assistant","content":"","refusal":null}${end}`,
    content('"plain"'),
    content('" \\"quoted\\" \\\\ \\u00e9 日本"'),
    content('""'),
    content('"\\"},\\"logprobs\\":null,\\"finish_reason\\":null}]"'),
    content('" no usage"', ',"logprobs":null,"finish_reason":null}]}'),
    content('" padded"', ',"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"ab+/="}   '),
    content('" other padding"', ',"logprobs":null,"finish_reason":null}],"obfuscation":"x y"}'),
    `${head}{"content":" refusal too","refusal":"no"}${end}`,
    content('" logprobs"', ',"logprobs":{"content":[]},"finish_reason":null}],"usage":null}'),
    content('" an extra field"', `${end.slice(0, -1)},"extra":1}`),
    content('" spaced"', ', "logprobs": null, "finish_reason": null}]}'),
    content('" other model"').replace("gpt-4.1-nano", "gpt-4.1-mini"),
    content('" last"', ',"logprobs":null,"finish_reason":"stop"}],"usage":null}'),
    `${head.slice(0, head.indexOf('"choices"'))}"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12}}`,
    "[DONE]",
  ];

  it("yields the same text, events and result as parsing every chunk whole", () => {
    const short = read(data, fromSource);
    expect(short).toEqual(read(data, whole));
    const text = short.blocks.find((block) => block.kind === "llm_text")?.payload as { text: string };
    expect(text.text).toBe(
      'plain "quoted" \\ é 日本"},"logprobs":null,"finish_reason":null}] no usage padded other padding refusal too logprobs an extra field spaced other model last',
    );
    expect(short.result).toMatchObject({ stopReason: "stop", usage: { inputTokens: 3, outputTokens: 9 } });
  });

  it("yields the same tool calls and events as parsing every chunk whole", () => {
    const args = (index: number, literal: string, extra = "") =>
      `${head}{"tool_calls":[{"index":${index},"function":{"arguments":${literal}}${extra}}]}${end}`;
    const calls = [
      content('"Let me look."'),
      `${head}{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"find","arguments":""}}]}${end}`,
      args(0, '"{\\"q\\":"'),
      args(0, '"\\"日本 \\\\\\"}]\\""'),
      args(0, '""'),
      content('" and"'),
      args(0, '"}"'),
      `${head}{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get","arguments":"{"}}]}${end}`,
      args(1, '"\\"id\\":1"'),
      args(1, '"}"', ',"type":"function"'),
      args(0, '" late"'),
      `${head}{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}`,
      "[DONE]",
    ];
    const short = read(calls, fromSource);
    expect(short).toEqual(read(calls, whole));
    const payloadsOf = short.blocks
      .filter((block) => block.kind === "tool_call")
      .map((block) => block.payload);
    expect(payloadsOf).toMatchObject([
      { id: "call_a", name: "find", args: { q: '日本 "}]' } },
      { id: "call_b", name: "get", args: { id: 1 } },
    ]);
  });

  it.each([
    ["an unterminated escape", '"ab\\"'],
    ["a raw control character", '"a\tb"'],
    ["a raw quote", '"a"b"'],
  ])("still rejects a content delta with %s after the short path has been learned", (_name, literal) => {
    const malformed = [data[0]!, data[1]!, data[2]!, content(literal)];
    expect(() =>
      runStreamHandler("openai", (out) => {
        const reader = new ChatStreamReader(out);
        for (const payload of malformed) reader.onEvent(payload);
        return { kind: "ok" };
      }),
    ).toThrow(SyntaxError);
  });
});
