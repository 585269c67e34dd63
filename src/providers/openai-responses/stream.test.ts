import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixtureLines, fixturePath, runStreamHandler } from "../test-support.ts";
import {
  KeyResponsesAnnotations,
  KeyResponsesItemType,
  KeyResponsesOutputIndex,
  KeyResponsesResponseId,
  KeyResponsesStatus,
} from "./descriptor.ts";
import { ResponsesStreamHandler } from "./stream.ts";
import type { ResponsesResponse, ResponsesStreamEvent } from "./wire.ts";

function chunks(name: string): ResponsesStreamEvent[] {
  return fixtureLines<ResponsesStreamEvent>("openai-responses", name);
}

function run(events: ResponsesStreamEvent[] | ResponsesResponse) {
  return runStreamHandler("openai-responses", (out) => {
    const handler = new ResponsesStreamHandler(out);
    if (Array.isArray(events)) for (const event of events) handler.handle(event);
    else handler.handleResponse(events);
    return handler.outcome;
  });
}

describe("ResponsesStreamHandler", () => {
  it("streams text with provider ids on the block and usage from response.completed", () => {
    const { output, sink, result } = run(chunks("stream-text.chunks.txt"));
    expect(output).toHaveLength(1);
    const block = output[0]!;
    expect(block.kind).toBe("llm_text");
    expect(block.payload).toMatchObject({
      text: "Verification code for issue-11239 is blue-42.",
      itemId: "msg_017eebd5643f46d6016a4b35e0bf5c819bba81fa260b4d9569",
    });
    expect(KeyResponsesResponseId.get(block)).toBe("resp_017eebd5643f46d6016a4b35e05970819b87a36e039511f77f");
    expect(KeyResponsesItemType.get(block)).toBe("message");
    expect(KeyResponsesOutputIndex.get(block)).toBe(0);
    expect(KeyResponsesStatus.get(block)).toBe("completed");
    expect(sink.ofType("partial")).toHaveLength(12);
    expect(result).toMatchObject({
      finishClass: "completed",
      stopReason: "completed",
      truncated: false,
      model: "gpt-5.2-2025-12-11",
      usage: { inputTokens: 146, outputTokens: 16, totalTokens: 162 },
    });
  });

  it("keeps the encrypted reasoning item and streams the function call arguments", () => {
    const { output, sink, result } = run(chunks("stream-reasoning-encrypted-function-call.chunks.txt"));
    expect(output.map((block) => block.kind)).toEqual(["reasoning", "tool_call"]);
    const [reasoning, call] = output;
    expect(reasoning!.payload).toMatchObject({
      itemId: "rs_017eebd5643f46d6016a4b35df548c819b98c75bcad2f28e4e",
    });
    const encrypted = (reasoning!.payload as { encryptedContent?: string }).encryptedContent;
    expect(encrypted).toMatch(/^gAAAAABqSzXg4CRZ/); // the final value from output_item.done
    expect(call!.payload).toEqual({
      id: "call_wMUhph1s1bedjPJraJvGw62X",
      name: "lookupVerificationCode",
      args: { label: "issue-11239" },
      itemId: "fc_017eebd5643f46d6016a4b35e00698819b8e15db8d3200f1b8",
    });
    expect(sink.ofType("tool-call-arguments-delta").map((event) => event.delta)).toHaveLength(8);
    expect(sink.ofType("tool-call")).toHaveLength(1);
    expect(sink.ofType("info").map((event) => event.message)).toEqual(["thinking-started", "thinking-ended"]);
    expect(result).toMatchObject({
      finishClass: "tool_calls_pending",
      usage: { inputTokens: 84, outputTokens: 39, totalTokens: 123, reasoningTokens: 15 },
    });
  });

  it("streams reasoning summaries as partial-thinking and keeps them as summary parts", () => {
    const events = chunks("stream-multistep-reasoning-summary-tools.chunks.txt");
    const secondStart = events.findIndex((event, index) => index > 0 && event.type === "response.created");
    const { output, sink, result } = run(events.slice(0, secondStart));
    const reasoning = output[0]!;
    expect(reasoning.kind).toBe("reasoning");
    const payload = reasoning.payload as { summary?: string[]; text?: string; encryptedContent?: string };
    expect(payload.summary).toHaveLength(1);
    expect(payload.text).toBe(payload.summary![0]);
    expect(payload.encryptedContent).toMatch(/^gAAAA/);
    expect(sink.ofType("partial-thinking").length).toBe(32);
    expect(output[1]!.payload).toMatchObject({ name: "calculator", args: { a: 12, b: 7, op: "add" } });
    expect(result.usage).toMatchObject({ inputTokens: 134, outputTokens: 28 });
  });

  it("reports web search progress, keeps search calls as other blocks and citations on the text", () => {
    const { output, sink, result } = run(chunks("stream-web-search-annotations.chunks.txt"));
    const searches = output.filter((block) => block.kind === "other");
    expect(searches).toHaveLength(6);
    expect(searches[0]!.payload).toMatchObject({
      type: "openai_responses.web_search_call",
      data: { action: { query: "tech news today December 5 2025" }, status: "completed" },
    });
    expect(sink.ofType("web-search-started")).toHaveLength(6);
    expect(sink.ofType("web-search-searching")).toHaveLength(6);
    const done = sink.ofType("web-search-done");
    expect(done).toHaveLength(6);
    expect(done[0]!.query).toBe("tech news today December 5 2025");
    const citations = sink.ofType("citation");
    expect(citations).toHaveLength(12);
    expect(citations[0]).toMatchObject({ startIndex: 277, endIndex: 411 });
    expect(citations[0]!.url).toMatch(/^https:\/\/techcrunch.com\//);
    const text = output.find((block) => block.kind === "llm_text")!;
    expect((text.payload as { text: string }).text).toHaveLength(3645);
    expect((text.payload as { text: string }).text.startsWith("I checked today’s tech headlines")).toBe(true);
    expect(KeyResponsesAnnotations.get(text)).toHaveLength(12);
    expect(output.filter((block) => block.kind === "reasoning")).toHaveLength(7);
    expect(result.usage).toEqual({
      inputTokens: 31073,
      outputTokens: 4416,
      totalTokens: 35489,
      cachedTokens: 3712,
      reasoningTokens: 3712,
    });
  });

  it("turns a mid-stream error and response.failed into a provider error with the partial Turn", () => {
    const { outcome, sink, result } = run(chunks("stream-error-insufficient-quota.chunks.txt"));
    expect(outcome.kind).toBe("failed");
    if (outcome.kind !== "failed") return;
    expect(outcome.error.details).toMatchObject({
      provider: "openai-responses",
      providerType: "insufficient_quota",
      providerCode: "insufficient_quota",
    });
    expect(outcome.error.retryable).toBe(false);
    expect(outcome.error.message).toMatch(/exceeded your current quota/);
    expect(sink.ofType("error")).toHaveLength(1);
    expect(result.finishClass).toBe("error");
  });
});

describe("ResponsesStreamHandler.handleResponse (non-streaming)", () => {
  const load = (name: string) =>
    JSON.parse(readFileSync(fixturePath("openai-responses", name), "utf8")) as ResponsesResponse;

  it("reads reasoning with summary and encrypted content, then the message", () => {
    const { output, result } = run(load("reasoning-summary-encrypted.json"));
    expect(output.map((block) => block.kind)).toEqual(["reasoning", "llm_text"]);
    expect((output[0]!.payload as { summary?: string[] }).summary).toHaveLength(1);
    expect((output[0]!.payload as { encryptedContent?: string }).encryptedContent).toBeTruthy();
    expect(output[1]!.payload).toMatchObject({
      text: "12 + 7 = 19\n19 × 3 = 57\n57 × 10 = 570\n\nFinal result: 570",
    });
    expect(result).toMatchObject({
      finishClass: "completed",
      model: "gpt-5-mini-2025-08-07",
      usage: { inputTokens: 865, outputTokens: 163, totalTokens: 1028, reasoningTokens: 128 },
    });
  });

  it("reads a function call after encrypted reasoning", () => {
    const { output, result } = run(load("reasoning-function-call.json"));
    const call = output.find((block) => block.kind === "tool_call")!;
    expect(call.payload).toMatchObject({
      id: "call_TXveU5dZ1lW6uhMbjhUIE9Gq",
      name: "semantic_scholar_search",
      args: { query: "machine learning", limit: 10, offset: 0, year: 0 },
    });
    expect(result).toMatchObject({
      finishClass: "tool_calls_pending",
      usage: { inputTokens: 114, outputTokens: 284, totalTokens: 398, reasoningTokens: 192 },
    });
  });

  it("reads structured output text", () => {
    const { output, result } = run(load("text-structured-output.json"));
    expect(output[0]!.payload).toMatchObject({ text: '{"elements":[{"shared":"works"}]}' });
    expect(result.usage).toMatchObject({ inputTokens: 68, outputTokens: 10, totalTokens: 78 });
  });

  it("maps an incomplete response (max_output_tokens) to a truncated result", () => {
    const session = load("incomplete-max-output-tokens.session.json") as unknown as {
      Entries: { ResponseBody: ResponsesResponse }[];
    };
    const { output, result } = run(session.Entries[0]!.ResponseBody);
    expect(output[0]!.payload).toMatchObject({
      text: "Mango sun-kissed sweet,  \nGolden nectar drips like rain,  \nSummer's bliss revealed",
    });
    expect(KeyResponsesStatus.get(output[0]!)).toBe("incomplete");
    expect(result).toMatchObject({
      finishClass: "max_tokens",
      stopReason: "max_output_tokens",
      truncated: true,
      usage: { inputTokens: 14, outputTokens: 20, totalTokens: 34 },
    });
  });
});
