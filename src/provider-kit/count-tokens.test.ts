/**
 * Counting tokens before sending, over real HTTP against the local provider server: OpenAI Responses
 * (`/responses/input_tokens`), Anthropic (`/v1/messages/count_tokens`) and Gemini (`:countTokens` with the whole
 * generateContentRequest). Each count body comes from the inference's request builder: it is the inference body
 * less exactly the fields the counting endpoint does not take.
 */
import { describe, expect, it } from "vitest";
import {
  KeyClaudeInferenceConfig,
  KeyInferenceConfig,
  KeyOpenAIInferenceConfig,
  KeyToolConfig,
} from "../engine/inference-config.ts";
import { ToolCatalogKey } from "../engine/tools.ts";
import { RunContext } from "../events/context.ts";
import { createClaudeEngine } from "../providers/anthropic/engine.ts";
import { contractCatalog } from "../providers/contract/engines.ts";
import { createGeminiEngine } from "../providers/gemini/engine.ts";
import { createOpenAIChatEngine } from "../providers/openai/engine.ts";
import { createOpenAIResponsesEngine } from "../providers/openai-responses/engine.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { localTokenCount } from "../testing/provider-server/count-tokens.ts";
import { newSystemTextBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import { canCountTokens, tokenCount } from "./count-tokens.ts";

const server = setupLocalServer();
const turn = newTurn([newSystemTextBlock("Be brief."), newUserTextBlock("Weather in Oslo?")]);
const ctx = () => RunContext.background().with(ToolCatalogKey, contractCatalog);
const common = (protocol: string) => ({ apiKey: "k", baseURL: server.baseURL(protocol), env: {} });

/** A Turn that sets every per-turn field the builders send, so the count body shows what counting leaves out. */
function everySetting(temperature = 0.5): Turn {
  let rich = KeyInferenceConfig.set(turn, {
    temperature,
    topP: 0.95,
    maxResponseTokens: 2000,
    stop: ["END"],
    thinkingBudget: 1024,
    reasoningSummary: "auto",
  });
  rich = KeyToolConfig.set(rich, { toolChoice: "auto", parallelToolCalls: false });
  return KeyOpenAIInferenceConfig.set(rich, { store: true, serviceTier: "flex", user: "user-1" });
}

/** `body` without `fields`, after checking the body had every one of them (else the test would prove nothing). */
function without(body: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  expect(Object.keys(body)).toEqual(expect.arrayContaining(fields));
  return Object.fromEntries(Object.entries(body).filter(([field]) => !fields.includes(field)));
}

describe("countTokens", () => {
  it("OpenAI Responses counts the body its inference would send", async () => {
    const engine = createOpenAIResponsesEngine({ model: "gpt-5-mini", ...common("openai-responses") });
    const count = await engine.countTokens(turn, ctx());
    const request = server.requests.at(-1)!;
    expect(request.path).toBe("/v1/responses/input_tokens");
    const { stream: _stream, include: _include, ...inference } = engine.buildRequest(turn, ctx()).body;
    // Input items come as cached pieces; through JSON they are the plain body.
    expect(request.body).toEqual(JSON.parse(JSON.stringify(inference)));
    expect(count).toBe(localTokenCount(request.body));
  });

  it("Anthropic counts messages, system and tools at /v1/messages/count_tokens", async () => {
    const engine = createClaudeEngine({ model: "claude-sonnet-4-5", ...common("anthropic") });
    const count = await engine.countTokens(turn, ctx());
    const request = server.requests.at(-1)!;
    expect(request.path).toBe("/v1/messages/count_tokens");
    expect(request.body).toMatchObject({
      model: "claude-sonnet-4-5",
      system: "Be brief.",
      messages: [{ role: "user" }],
      tools: [{ name: "get_weather" }, { name: "get_time" }],
    });
    expect(request.body).not.toHaveProperty("max_tokens");
    expect(count).toBe(localTokenCount(request.body));
  });

  it("Gemini counts the whole generateContentRequest", async () => {
    const engine = createGeminiEngine({ model: "gemini-2.5-flash", ...common("gemini") });
    const count = await engine.countTokens(turn, ctx());
    const request = server.requests.at(-1)!;
    expect(request.path).toBe("/v1beta/models/gemini-2.5-flash:countTokens");
    expect(request.body).toMatchObject({
      generateContentRequest: { model: "models/gemini-2.5-flash", systemInstruction: {}, contents: [{}] },
    });
    expect(count).toBe(localTokenCount(request.body));
  });

  it("each count body is the inference body less exactly the fields its endpoint does not take", async () => {
    const rich = everySetting();
    const plain = (body: unknown) => JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    const responses = createOpenAIResponsesEngine({ model: "gpt-4.1", ...common("openai-responses") });
    await responses.countTokens(rich, ctx());
    const responsesOmitted = ["stream", "temperature", "top_p", "max_output_tokens", "include", "store"];
    expect(server.requests.at(-1)!.body).toEqual(
      without(plain(responses.buildRequest(rich, ctx()).body), [...responsesOmitted, "service_tier", "user"]),
    );

    const claude = createClaudeEngine({ model: "claude-sonnet-4-5", ...common("anthropic") });
    // With thinking, Anthropic takes temperature 1 only and no top_k.
    const thinking = KeyClaudeInferenceConfig.set(everySetting(1), { userId: "user-1" });
    await claude.countTokens(thinking, ctx());
    const claudeInference = claude.buildRequest(thinking, ctx());
    const claudeOmitted = ["max_tokens", "stream", "temperature", "top_p", "stop_sequences", "metadata"];
    expect(claudeInference.body).toHaveProperty("thinking");
    expect(server.requests.at(-1)!.body).toEqual(without(plain(claudeInference.body), claudeOmitted));

    const gemini = createGeminiEngine({ model: "gemini-2.5-flash", ...common("gemini") });
    await gemini.countTokens(rich, ctx());
    const geminiInference = plain(gemini.buildRequest(rich, ctx()).body);
    expect(geminiInference).toHaveProperty("generationConfig");
    expect(server.requests.at(-1)!.body).toEqual({
      generateContentRequest: { model: "models/gemini-2.5-flash", ...geminiInference },
    });
  });

  it("only engines whose API counts offer it; a missing count is a ProviderError", () => {
    expect(canCountTokens(createGeminiEngine({ model: "m", apiKey: "k" }))).toBe(true);
    expect(canCountTokens(createOpenAIChatEngine({ model: "m", apiKey: "k" }))).toBe(false);
    expect(() => tokenCount(undefined, "gemini")).toThrow(
      "gemini answered the token count without a count (got undefined)",
    );
  });
});
