/**
 * Counting tokens before sending, over real HTTP against the local provider server: OpenAI Responses
 * (`/responses/input_tokens`, the same body as the inference without streaming fields), Anthropic
 * (`/v1/messages/count_tokens`) and Gemini (`:countTokens` with the whole generateContentRequest).
 */
import { describe, expect, it } from "vitest";
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
import { canCountTokens, tokenCount } from "./count-tokens.ts";

const server = setupLocalServer();
const turn = newTurn([newSystemTextBlock("Be brief."), newUserTextBlock("Weather in Oslo?")]);
const ctx = () => RunContext.background().with(ToolCatalogKey, contractCatalog);
const common = (protocol: string) => ({ apiKey: "k", baseURL: server.baseURL(protocol), env: {} });

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

  it("only engines whose API counts offer it; a missing count is a ProviderError", () => {
    expect(canCountTokens(createGeminiEngine({ model: "m", apiKey: "k" }))).toBe(true);
    expect(canCountTokens(createOpenAIChatEngine({ model: "m", apiKey: "k" }))).toBe(false);
    expect(() => tokenCount(undefined, "gemini")).toThrow(
      "gemini answered the token count without a count (got undefined)",
    );
  });
});
