/**
 * Wire conformance: every recorded Gemini file is replayed over real HTTP by the local provider server and the
 * engine's result is checked against the manifest's expected result.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { type InferenceResult, KeyInferenceResult } from "../../engine/engine.ts";
import { GeppettoError, ProviderError } from "../../engine/errors.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { assistantText, newTurn, newUserTextBlock, pendingToolCalls } from "../../turns/builders.ts";
import type { ReasoningPayload } from "../../turns/types.ts";
import { providerFixturesRoot, setupLocalServer } from "../test-support.ts";
import { KeyGeminiThoughtSignature, KeyGeminiTrailingSignature } from "./descriptor.ts";
import { createGeminiEngine, type GeminiEngineOptions } from "./engine.ts";

const FIXTURES = fileURLToPath(new URL("gemini/", providerFixturesRoot()));
const fixture = (name: string) => join(FIXTURES, name);
const KEY = "AIza-test-conformance-key-123";

const server = setupLocalServer();

function engine(options: Partial<GeminiEngineOptions> = {}) {
  return createGeminiEngine({
    model: "gemini-3-pro-preview",
    apiKey: KEY,
    baseURL: server.baseURL("gemini"),
    client: { maxRetries: 0 },
    ...options,
  });
}

async function replay(name: string, options: Partial<GeminiEngineOptions> = {}) {
  server.respond({ fixture: fixture(name) });
  const sink = new CollectingSink();
  const turn = await engine(options).runInference(
    newTurn([newUserTextBlock("hello")]),
    RunContext.background().withSinks(sink),
  );
  const reasoning = turn.blocks.filter((block) => block.kind === "reasoning").map((block) => block.payload);
  return {
    turn,
    sink,
    reasoning: reasoning as ReasoningPayload[],
    result: KeyInferenceResult.get(turn) as InferenceResult,
    calls: pendingToolCalls(turn).map((call) => call.payload),
    output: turn.blocks.slice(1),
  };
}

async function failure(name: string, options: Partial<GeminiEngineOptions> = {}): Promise<ProviderError> {
  server.respond({ fixture: fixture(name) });
  const error = await engine(options)
    .runInference(newTurn([newUserTextBlock("hello")]), RunContext.background())
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("Gemini conformance (recorded streams over HTTP)", () => {
  it("stream-text.chunks.txt: text across chunks, trailing signature, cumulative usage", async () => {
    const { turn, result, output, sink } = await replay("stream-text.chunks.txt");
    expect(assistantText(turn)).toBe('There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y');
    expect(result).toMatchObject({
      provider: "gemini",
      model: "gemini-3-pro-preview",
      stopReason: "STOP",
      finishClass: "completed",
      truncated: false,
      responseId: "bH6LaZW8Fp_3nsEPqtaSwQ4",
      usage: { inputTokens: 9, outputTokens: 23 + 185, reasoningTokens: 185, totalTokens: 217 },
    });
    expect(output).toHaveLength(1);
    expect(KeyGeminiTrailingSignature.get(output[0]!)).toMatch(/^EqsFCqgFAb4/);
    expect(sink.ofType("partial")).toHaveLength(2);
    const request = server.requests[0]!;
    expect(request.path).toBe("/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse");
    expect(request.headers["x-goog-api-key"]).toBe(KEY);
    expect(request.path).not.toContain(KEY);
    expect(request.body).toEqual({ contents: [{ role: "user", parts: [{ text: "hello" }] }] });
  });

  it("stream-thought-signature.chunks.txt: hidden thinking, signature on the final empty part", async () => {
    const { turn, result, output, reasoning } = await replay("stream-thought-signature.chunks.txt");
    expect(assistantText(turn)).toBe(
      'There are **3** "r"s in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.',
    );
    expect(reasoning).toHaveLength(0);
    expect(KeyGeminiTrailingSignature.get(output[0]!)).toMatch(/^Eo0HCooHAb4/);
    expect(result).toMatchObject({
      stopReason: "STOP",
      finishClass: "completed",
      usage: { inputTokens: 9, outputTokens: 29 + 256, reasoningTokens: 256, totalTokens: 294 },
    });
  });

  it("stream-thought-parts.chunks.txt: thought parts become one reasoning block", async () => {
    const { turn, result, reasoning, sink } = await replay("stream-thought-parts.chunks.txt");
    expect(assistantText(turn)).toBe("hello");
    expect(reasoning).toHaveLength(1);
    expect(reasoning[0]!.text).toMatch(/^\* {3}User input: "Reply with exactly: hello"/);
    expect(reasoning[0]!.text).toContain('Output: "hello"');
    expect(sink.ofType("partial-thinking")).toHaveLength(4);
    expect(result).toMatchObject({
      model: "gemma-4-26b-a4b-it",
      stopReason: "STOP",
      finishClass: "completed",
      usage: { inputTokens: 6, outputTokens: 1 + 76, reasoningTokens: 76, totalTokens: 83 },
    });
  });

  it("stream-raw-sse-thought-summaries.sse (and its cassette): CRLF events, thought summaries", async () => {
    const cassette = parseYaml(
      readFileSync(fixture("stream-raw-sse-thought-summaries.cassette.yaml.txt"), "utf8"),
    );
    expect(cassette.interactions[0].response.body.string).toBe(
      readFileSync(fixture("stream-raw-sse-thought-summaries.sse"), "utf8"),
    );
    const { turn, result, reasoning } = await replay("stream-raw-sse-thought-summaries.sse", {
      model: "gemini-2.5-pro",
    });
    const thoughts = reasoning.map((payload) => payload.text ?? "").join("");
    expect(thoughts.startsWith("**Clarifying User Goals**")).toBe(true);
    expect(thoughts).toHaveLength(1575);
    const text = assistantText(turn);
    expect(text.startsWith("This is a great question! Safely crossing the street")).toBe(true);
    expect(text).toHaveLength(1938);
    expect(result).toMatchObject({
      model: "gemini-2.5-pro",
      stopReason: "STOP",
      finishClass: "completed",
      usage: { inputTokens: 34, outputTokens: 469 + 787, reasoningTokens: 787, totalTokens: 1290 },
    });
  });

  it("stream-function-call.chunks.txt: complete args with the signature on the functionCall part", async () => {
    const { calls, result, output, sink } = await replay("stream-function-call.chunks.txt");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      id: "gemini_b36LacjwM668nsEP2tbsgQQ_0",
      name: "weather",
      args: { location: "San Francisco" },
    });
    expect(KeyGeminiThoughtSignature.get(output[0]!)).toMatch(/^EqUCCqICAb4/);
    expect(result).toMatchObject({
      stopReason: "STOP",
      finishClass: "tool_calls_pending",
      usage: { inputTokens: 29, outputTokens: 15 + 45, reasoningTokens: 45, totalTokens: 89 },
    });
    expect(sink.ofType("tool-call")).toHaveLength(1);
  });

  it("stream-function-call-partial-args.chunks.txt: partialArgs assembled, argument deltas published", async () => {
    const { calls, result, sink, output } = await replay("stream-function-call-partial-args.chunks.txt", {
      model: "gemini-3.1-pro-preview",
    });
    expect(calls.map((call) => [call.name, call.args])).toEqual([
      ["getWeather", { location: "Boston" }],
      ["getWeather", { location: "San Francisco" }],
    ]);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
    expect(KeyGeminiThoughtSignature.get(output[0]!)).toMatch(/^CiMBjz1rX25/);
    expect(KeyGeminiThoughtSignature.has(output[1]!)).toBe(false);
    const deltas = sink.ofType("tool-call-arguments-delta");
    const first = deltas.filter((event) => event.toolCallId === calls[0]!.id).map((event) => event.delta);
    expect(first.join("")).toBe('{"location":"Boston"}');
    expect(first.length).toBeGreaterThan(1);
    expect(result).toMatchObject({
      model: "gemini-3.1-pro-preview",
      stopReason: "STOP",
      finishClass: "tool_calls_pending",
      usage: { inputTokens: 26, outputTokens: 23 + 132, reasoningTokens: 132, totalTokens: 181 },
    });
  });

  it("stream-max-tokens.replay.json: MAX_TOKENS is truncated", async () => {
    const { turn, result } = await replay("stream-max-tokens.replay.json", { model: "gemini-2.5-flash" });
    const text = assistantText(turn);
    expect(
      text.startsWith("The sky is blue primarily due to a phenomenon called **Rayleigh Scattering**."),
    ).toBe(true);
    expect(text).toHaveLength(653);
    expect(result).toMatchObject({
      stopReason: "MAX_TOKENS",
      finishClass: "max_tokens",
      truncated: true,
      usage: { inputTokens: 7, outputTokens: 153 + 45, reasoningTokens: 45, totalTokens: 205 },
    });
  });

  it("stream-json-array.json and .httprr.txt: the JSON-array stream with integer enums", async () => {
    for (const name of ["stream-json-array.json", "stream-json-array.httprr.txt"]) {
      const { turn, result, sink } = await replay(name, {
        model: "gemini-2.0-flash",
        streamFormat: "json-array",
      });
      const text = assistantText(turn);
      expect(text.startsWith("Clementine, a calico")).toBe(true);
      expect(text).toHaveLength(2580);
      expect(sink.ofType("partial")).toHaveLength(13);
      expect(result).toMatchObject({
        model: "gemini-2.0-flash",
        stopReason: "STOP",
        finishClass: "completed",
        usage: { inputTokens: 8, outputTokens: 578, totalTokens: 586 },
      });
      expect(server.requests.at(-1)!.path).toBe("/v1beta/models/gemini-2.0-flash:streamGenerateContent");
    }
  });

  it("text.json (generateContent): signature on the text part", async () => {
    const { turn, result, output } = await replay("text.json", { stream: false });
    expect(assistantText(turn)).toBe(
      "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.",
    );
    expect(KeyGeminiThoughtSignature.get(output[0]!)).toMatch(/^EtoFCtcFAb4/);
    expect(result).toMatchObject({
      stopReason: "STOP",
      finishClass: "completed",
      usage: { inputTokens: 9, outputTokens: 28 + 244, reasoningTokens: 244, totalTokens: 281 },
    });
    expect(server.requests[0]!.path).toBe("/v1beta/models/gemini-3-pro-preview:generateContent");
  });

  it("function-call.json (generateContent): a function call with its signature", async () => {
    const { calls, result, output } = await replay("function-call.json", { stream: false });
    expect(calls).toEqual([
      { id: "gemini_m36LaZGyCLz1xs0PtNSB-QU_0", name: "weather", args: { location: "San Francisco" } },
    ]);
    expect(KeyGeminiThoughtSignature.get(output[0]!)).toMatch(/^EskgCsYgAb4/);
    expect(result).toMatchObject({
      stopReason: "STOP",
      finishClass: "tool_calls_pending",
      usage: { inputTokens: 29, outputTokens: 15 + 893, reasoningTokens: 893, totalTokens: 937 },
    });
  });

  it("thought-max-tokens.replay.json (generateContent): only a thought, MAX_TOKENS", async () => {
    const { turn, result, reasoning } = await replay("thought-max-tokens.replay.json", {
      stream: false,
      model: "gemini-2.0-flash-thinking-exp",
    });
    expect(assistantText(turn)).toBe("");
    expect(reasoning).toHaveLength(1);
    expect(reasoning[0]!.text!.startsWith("**Breaking Down the Sum of Natural Numbers**")).toBe(true);
    expect(result).toMatchObject({
      model: "gemini-2.0-flash-thinking-exp-01-21",
      stopReason: "MAX_TOKENS",
      finishClass: "max_tokens",
      truncated: true,
      usage: { inputTokens: 17, outputTokens: 19, reasoningTokens: 19, totalTokens: 36 },
    });
  });

  it("error-400-invalid-argument.json: a google.rpc error body", async () => {
    const error = await failure("error-400-invalid-argument.json", { stream: false });
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.code).toBe("invalid_request");
    expect(error.details).toMatchObject({
      provider: "gemini",
      status: 400,
      providerType: "INVALID_ARGUMENT",
    });
    expect(error.message).toContain("Penalty is not enabled for models/gemini-2.5-flash");
    expect(error.message).not.toContain(KEY);
    expect(GeppettoError.is(error) && error.turn === undefined).toBe(false);
  });

  it("stream-error-404.replay.json: an error body instead of a stream", async () => {
    const error = await failure("stream-error-404.replay.json");
    expect(error.status).toBe(404);
    expect(error.code).toBe("not_found");
    expect(error.details.providerType).toBe("NOT_FOUND");
    expect(error.message).toContain("models/custom-gemini-2.0-flash is not found for API version v1beta");
  });
});
