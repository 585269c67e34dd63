/**
 * Wire conformance: every recorded OpenAI Responses file is replayed over real HTTP by the local provider server
 * and the engine's result is checked against the manifest's expected result.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { GeppettoError, ProviderError } from "../../engine/errors.ts";
import { RunContext } from "../../events/context.ts";
import {
  appendBlock,
  assistantText,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../../turns/builders.ts";
import type { Turn } from "../../turns/types.ts";
import { cancelAtFirstText, fixturePath, replay, serverOptions, setupLocalServer } from "../test-support.ts";
import { createOpenAIResponsesEngine } from "./engine.ts";

const server = setupLocalServer();

function engine(options: { stream?: boolean; model?: string } = {}) {
  return createOpenAIResponsesEngine({
    model: options.model ?? "gpt-5-mini",
    apiKey: "sk-test-conformance-key",
    ...serverOptions(server, "openai-responses"),
    stream: options.stream ?? true,
  });
}

function replayFixture(name: string, options: { stream?: boolean } = {}) {
  return replay(engine(options), server, { fixture: fixturePath("openai-responses", name) });
}

describe("OpenAI Responses conformance (recorded streams over HTTP)", () => {
  it("stream-text.chunks.txt", async () => {
    const { turn, result } = await replayFixture("stream-text.chunks.txt");
    expect(assistantText(turn)).toBe("Verification code for issue-11239 is blue-42.");
    expect(result).toMatchObject({
      provider: "openai-responses",
      model: "gpt-5.2-2025-12-11",
      finishClass: "completed",
      stopReason: "completed",
      usage: { inputTokens: 146, outputTokens: 16, totalTokens: 162 },
    });
    const request = server.requests[0]!;
    expect(request.path).toBe("/v1/responses");
    expect(request.headers.authorization).toBe("Bearer sk-test-conformance-key");
    expect(request.body).toMatchObject({ model: "gpt-5-mini", stream: true });
  });

  it("stream-reasoning-encrypted-function-call.chunks.txt", async () => {
    const {
      turn,
      callBlocks: calls,
      result,
    } = await replayFixture("stream-reasoning-encrypted-function-call.chunks.txt");
    expect(calls.map((call) => call.payload)).toEqual([
      {
        id: "call_wMUhph1s1bedjPJraJvGw62X",
        name: "lookupVerificationCode",
        args: { label: "issue-11239" },
        itemId: "fc_017eebd5643f46d6016a4b35e00698819b8e15db8d3200f1b8",
      },
    ]);
    const reasoning = turn.blocks.find((block) => block.kind === "reasoning")!;
    expect(reasoning.payload).toMatchObject({
      itemId: "rs_017eebd5643f46d6016a4b35df548c819b98c75bcad2f28e4e",
    });
    expect((reasoning.payload as { encryptedContent?: string }).encryptedContent).toMatch(/^gAAAA/);
    expect(result).toMatchObject({
      finishClass: "tool_calls_pending",
      stopReason: "completed",
      usage: { inputTokens: 84, outputTokens: 39, totalTokens: 123, reasoningTokens: 15 },
    });
  });

  it("stream-web-search-annotations.chunks.txt", async () => {
    const { turn, sink, result } = await replayFixture("stream-web-search-annotations.chunks.txt");
    const text = assistantText(turn);
    expect(text).toHaveLength(3645);
    expect(text.startsWith("I checked today’s tech headlines (today = December 5, 2025)")).toBe(true);
    expect(sink.ofType("citation")).toHaveLength(12);
    expect(sink.ofType("web-search-done")).toHaveLength(6);
    expect(result).toMatchObject({
      finishClass: "completed",
      usage: {
        inputTokens: 31073,
        outputTokens: 4416,
        totalTokens: 35489,
        reasoningTokens: 3712,
        cachedTokens: 3712,
      },
    });
  });

  it("stream-error-insufficient-quota.chunks.txt: error event, partial Turn, not retryable", async () => {
    const error = await replayFixture("stream-error-insufficient-quota.chunks.txt").catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.details).toMatchObject({
      providerType: "insufficient_quota",
      providerCode: "insufficient_quota",
    });
    expect(providerError.retryable).toBe(false);
    expect(KeyInferenceResult.get(providerError.turn!)).toMatchObject({
      finishClass: "error",
      stopReason: "failed",
    });
  });

  it("error-insufficient-quota.json: HTTP 429 body becomes a ProviderError", async () => {
    const error = await replayFixture("error-insufficient-quota.json").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).details).toMatchObject({
      status: 429,
      providerCode: "insufficient_quota",
    });
    expect((error as ProviderError).message).not.toContain("sk-test-conformance-key");
  });

  it("reasoning-summary-encrypted.json (non-streaming)", async () => {
    const { turn, result } = await replayFixture("reasoning-summary-encrypted.json", { stream: false });
    expect(assistantText(turn)).toBe("12 + 7 = 19\n19 × 3 = 57\n57 × 10 = 570\n\nFinal result: 570");
    expect(server.requests[0]!.body).toMatchObject({ stream: false });
    expect(result).toMatchObject({
      finishClass: "completed",
      model: "gpt-5-mini-2025-08-07",
      usage: { inputTokens: 865, outputTokens: 163, totalTokens: 1028, reasoningTokens: 128 },
    });
  });

  it("reasoning-function-call.json (non-streaming)", async () => {
    const { callBlocks: calls, result } = await replayFixture("reasoning-function-call.json", {
      stream: false,
    });
    expect(calls.map((call) => call.payload)).toMatchObject([
      {
        id: "call_TXveU5dZ1lW6uhMbjhUIE9Gq",
        name: "semantic_scholar_search",
        args: { query: "machine learning", limit: 10, offset: 0, year: 0 },
      },
    ]);
    expect(result).toMatchObject({
      model: "o3-2025-04-16",
      usage: { inputTokens: 114, outputTokens: 284, totalTokens: 398 },
    });
  });

  it("text-structured-output.json (non-streaming)", async () => {
    const { turn, result } = await replayFixture("text-structured-output.json", { stream: false });
    expect(assistantText(turn)).toBe('{"elements":[{"shared":"works"}]}');
    expect(result).toMatchObject({
      finishClass: "completed",
      usage: { inputTokens: 68, outputTokens: 10, totalTokens: 78 },
    });
  });

  it("incomplete-max-output-tokens.session.json (non-streaming): truncated", async () => {
    const { turn, result } = await replayFixture("incomplete-max-output-tokens.session.json", {
      stream: false,
    });
    expect(assistantText(turn)).toBe(
      "Mango sun-kissed sweet,  \nGolden nectar drips like rain,  \nSummer's bliss revealed",
    );
    expect(result).toMatchObject({
      finishClass: "max_tokens",
      stopReason: "max_output_tokens",
      truncated: true,
      usage: { inputTokens: 14, outputTokens: 20, totalTokens: 34 },
    });
  });

  describe("stream-multistep-reasoning-summary-tools.chunks.txt (four responses, one tool loop)", () => {
    let directory: string;
    const steps: string[] = [];
    beforeAll(() => {
      directory = mkdtempSync(join(tmpdir(), "geppetto-responses-"));
      const lines = readFileSync(
        fixturePath("openai-responses", "stream-multistep-reasoning-summary-tools.chunks.txt"),
        "utf8",
      )
        .split("\n")
        .filter((line) => line.trim().length > 0);
      let current: string[] = [];
      const flush = () => {
        if (current.length === 0) return;
        const path = join(directory, `step-${steps.length + 1}.chunks.txt`);
        writeFileSync(path, `${current.join("\n")}\n`);
        steps.push(path);
        current = [];
      };
      for (const line of lines) {
        if ((JSON.parse(line) as { type: string }).type === "response.created") flush();
        current.push(line);
      }
      flush();
    });
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    it("continues statelessly: each request carries the reasoning items, calls and outputs before it", async () => {
      expect(steps).toHaveLength(4);
      server.enqueue(...steps.map((path) => ({ fixture: path })));
      const expected = [
        { args: { a: 12, b: 7, op: "add" }, result: 19, usage: { inputTokens: 134, outputTokens: 28 } },
        { args: { a: 19, b: 3, op: "multiply" }, result: 57, usage: { inputTokens: 221, outputTokens: 26 } },
        {
          args: { a: 57, b: 10, op: "multiply" },
          result: 570,
          usage: { inputTokens: 260, outputTokens: 26 },
        },
      ];
      const responses = engine({ model: "gpt-5.1-codex-max" });
      let turn: Turn = newTurn([newUserTextBlock("What is (12 + 7) * 3 * 10? Use the calculator.")]);
      for (const step of expected) {
        turn = await responses.runInference(turn, RunContext.background());
        const [call] = pendingToolCalls(turn);
        expect(call!.payload).toMatchObject({ name: "calculator", args: step.args });
        expect(KeyInferenceResult.get(turn)!.usage).toMatchObject(step.usage);
        turn = appendBlock(turn, newToolUseBlock(call!.payload.id, step.result, { name: "calculator" }));
      }
      turn = await responses.runInference(turn, RunContext.background());
      expect(assistantText(turn)).toBe("The final result is **570**.");
      expect(KeyInferenceResult.get(turn)!.usage).toMatchObject({ inputTokens: 299, outputTokens: 12 });

      const last = server.requests[3]!.body as {
        input: { type: string; id?: string; encrypted_content?: string }[];
      };
      const types = last.input.map((item) => item.type);
      expect(types[0]).toBe("message");
      expect(types.filter((type) => type === "function_call")).toHaveLength(3);
      expect(types.filter((type) => type === "function_call_output")).toHaveLength(3);
      const reasoning = last.input.filter((item) => item.type === "reasoning");
      expect(reasoning.length).toBeGreaterThan(0);
      for (const item of reasoning) {
        expect(item.id).toMatch(/^rs_/);
        expect(item.encrypted_content).toMatch(/^gAAAA/);
      }
    });
  });

  it("keeps the partial text and resolves when the caller cancels mid-stream", async () => {
    server.respond({ script: { tokens: ["one ", "two ", "three ", "four"] }, pacingMs: 5 });
    const turn = await engine().runInference(newTurn([newUserTextBlock("count")]), cancelAtFirstText());
    expect(assistantText(turn)).toBe("one ");
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "interrupted", truncated: true });
  });

  it("reports a stream cut before response.completed as a retryable error with the partial Turn", async () => {
    server.respond({
      script: { text: "a fairly long answer that will be cut" },
      faults: { cutAfterBytes: 700 },
    });
    const error = await engine()
      .runInference(newTurn([newUserTextBlock("hi")]), RunContext.background())
      .catch((caught: unknown) => caught);
    expect(GeppettoError.is(error)).toBe(true);
    expect((error as GeppettoError).retryable).toBe(true);
    expect(KeyInferenceResult.get((error as GeppettoError).turn!)!.finishClass).toBe("error");
  });
});
