/**
 * OpenAI-compatible profiles over real HTTP against the local provider server: each is selected from settings
 * (`--ai-api-type deepseek`…), stamped with its own provider name, and shapes the request as its server wants
 * (key header, token-limit field, reasoning sent back or not, `reasoning_effort` kept or dropped with a warning).
 */
import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { createEngine } from "../../settings/factory.ts";
import { loadSettings } from "../../settings/load.ts";
import { appendBlock, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import { requestBody } from "../contract/engines.ts";
import { setupLocalServer } from "../test-support.ts";
import { openAICompatibleProfile } from "./descriptor.ts";
import { createOpenAIChatEngine } from "./engine.ts";

const server = setupLocalServer();
const question = () => newTurn([newUserTextBlock("Why is the sky blue?")]);

async function engineFor(apiType: string, env: Record<string, string>, flags: Record<string, string> = {}) {
  const loaded = loadSettings({
    env,
    cwd: "/nonexistent",
    flags: { "ai-api-type": apiType, "ai-base-url": server.baseURL("openai-chat"), ...flags },
  });
  return createEngine(loaded, { env: {} });
}

describe("OpenAI-compatible profiles", () => {
  it("deepseek: selected from settings, stamped deepseek, reasoning_content read but never sent back", async () => {
    const engine = await engineFor(
      "deepseek",
      { DEEPSEEK_API_KEY: "ds-key" },
      { "ai-max-response-tokens": "64", "reasoning-effort": "low" },
    );
    server.respond({ script: { reasoning: "Rayleigh scattering.", text: "Scattering." } });
    const sink = new CollectingSink();
    const first = await engine.runInference(question(), RunContext.background().withSinks(sink));
    expect(KeyInferenceResult.get(first)?.provider).toBe("deepseek");
    const reasoning = first.blocks.find((block) => block.kind === "reasoning");
    expect(reasoning?.payload).toMatchObject({ text: "Rayleigh scattering." });
    expect(reasoning && KeyBlockMetaProvider.get(reasoning)).toBe("deepseek");
    const sent = server.requests.at(-1)!;
    expect(sent.headers.authorization).toBe("Bearer ds-key");
    expect(sent.body).toMatchObject({ model: "deepseek-chat", max_tokens: 64 });
    expect(sent.body).not.toHaveProperty("reasoning_effort");
    expect(sink.ofType("log").map((event) => event.message)).toContain(
      "reasoningEffort not sent: deepseek-chat on deepseek takes no reasoning_effort",
    );

    server.respond({ script: { text: "Sure." } });
    await engine.runInference(appendBlock(first, newUserTextBlock("More?")), RunContext.background());
    expect(JSON.stringify(requestBody(server))).not.toContain("Rayleigh");
  });

  it("openrouter: its own reasoning goes back in `reasoning`; another provider's is dropped", async () => {
    const engine = await engineFor("openrouter", { OPENROUTER_API_KEY: "or-key" });
    server.respond({ script: { reasoning: "Think first.", text: "Done." } });
    const first = await engine.runInference(question(), RunContext.background());
    server.respond({ script: { text: "Again." } });
    await engine.runInference(appendBlock(first, newUserTextBlock("Next?")), RunContext.background());
    const messages = (requestBody(server) as { messages: Record<string, unknown>[] }).messages;
    expect(messages[1]).toMatchObject({ role: "assistant", content: "Done.", reasoning: "Think first." });
  });

  it("azure: the key travels in api-key, and a base URL is required", async () => {
    const engine = await engineFor("azure", { AZURE_OPENAI_API_KEY: "az-key" }, { "ai-engine": "o4-mini" });
    server.respond({ script: { text: "Hi." } });
    await engine.runInference(question(), RunContext.background());
    const sent = server.requests.at(-1)!;
    expect(sent.headers["api-key"]).toBe("az-key");
    expect(sent.headers.authorization).toBeUndefined();
    expect(() =>
      createOpenAIChatEngine({ model: "gpt-4o-mini", profile: openAICompatibleProfile("azure")!, env: {} }),
    ).toThrow(/azure: no base URL: set AZURE_OPENAI_BASE_URL or --ai-base-url/);
  });

  it("vllm and ollama-openai need no key", async () => {
    for (const apiType of ["vllm", "ollama-openai"]) {
      const engine = await engineFor(apiType, {});
      server.respond({ script: { text: "Hello." } });
      const out = await engine.runInference(question(), RunContext.background());
      expect(KeyInferenceResult.get(out)).toMatchObject({ provider: apiType, finishClass: "completed" });
      expect(server.requests.at(-1)?.headers.authorization).toBeUndefined();
    }
  });
});

describe("OpenAI Chat: reasoning_effort only where the model takes it", () => {
  it("is sent to reasoning models and dropped with a warning for the others", async () => {
    const make = (model: string) =>
      createOpenAIChatEngine({
        model,
        apiKey: "k",
        baseURL: server.baseURL("openai-chat"),
        inference: { reasoningEffort: "high" },
        env: {},
      });
    server.respond({ script: { text: "ok" } });
    await make("o4-mini").runInference(question(), RunContext.background());
    expect(requestBody(server)).toMatchObject({ reasoning_effort: "high" });
    server.respond({ script: { text: "ok" } });
    const sink = new CollectingSink();
    await make("gpt-4o-mini").runInference(question(), RunContext.background().withSinks(sink));
    expect(requestBody(server)).not.toHaveProperty("reasoning_effort");
    expect(sink.ofType("log").map((event) => event.message)).toContain(
      "reasoningEffort not sent: gpt-4o-mini on openai takes no reasoning_effort",
    );
  });
});

describe("--ai-profile", () => {
  it("--ai-api-type openai-compatible --ai-profile deepseek is the deepseek provider, key and all", async () => {
    const engine = await engineFor(
      "openai-compatible",
      { DEEPSEEK_API_KEY: "ds-key" },
      { "ai-profile": "deepseek" },
    );
    server.respond({ script: { text: "Scattering." } });
    const out = await engine.runInference(question(), RunContext.background());
    expect(KeyInferenceResult.get(out)?.provider).toBe("deepseek");
    expect(server.requests.at(-1)?.headers.authorization).toBe("Bearer ds-key");
    const alone = loadSettings({ env: { GEPPETTO_AI_PROFILE: "openrouter" }, cwd: "/nonexistent" });
    expect(alone.settings.chat?.apiType).toBe("openrouter");
  });

  it("an unknown profile, or a profile beside another api type, is a settings error naming it", () => {
    const load = (flags: Record<string, string>) => () =>
      loadSettings({ env: {}, cwd: "/nonexistent", flags });
    expect(load({ "ai-api-type": "openai-compatible", "ai-profile": "palm" })).toThrow(
      /setting chat\.profile: "palm" is not an OpenAI-compatible profile \(known: deepseek, openrouter/,
    );
    expect(load({ "ai-api-type": "anthropic", "ai-profile": "deepseek" })).toThrow(
      /setting chat\.apiType: "anthropic" has no profiles: use --ai-api-type openai-compatible with --ai-profile deepseek/,
    );
  });
});
