/**
 * The registry is the only list of providers: a throwaway provider registered here appears in settings (api
 * type, aliases, its key variable, flag help), in the local provider server's protocols, in the engine factory
 * and in the contract suite's table, and is gone again once unregistered (the import-cost test registers one
 * in a fresh process). The same holds for a provider with a wire protocol of its own (`__fixtures__/toy/`: one
 * folder, one registration), which `serve-provider` then serves too; the contract suite runs over it in
 * `providers/contract/contract.test.ts`. Also: aliases count as their provider on stamped blocks (a Turn saved with
 * `claude` continues on `anthropic` with its signed thinking and its web-search results).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { createTestIO } from "../cli/test-io.ts";
import { KeyInferenceResult } from "../engine/engine.ts";
import { ToolCatalogKey } from "../engine/tools.ts";
import { RunContext } from "../events/context.ts";
import { anthropicProvider } from "../providers/anthropic/descriptor.ts";
import { buildClaudeRequest } from "../providers/anthropic/request.ts";
import { contractCatalog, contractEngines } from "../providers/contract/engines.ts";
import { OPENAI_PROFILE, openAICompatibleProvider } from "../providers/openai/descriptor.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { createEngine } from "../settings/factory.ts";
import { settingsFlagsHelp } from "../settings/flags.ts";
import { loadSettings } from "../settings/load.ts";
import { registeredProtocols } from "../testing/provider-server/protocols.ts";
import { startProviderServer } from "../testing/provider-server/server.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { KeyBlockMetaProvider } from "../turns/keys.ts";
import { turnFromYaml } from "../turns/serialization.ts";
import { toyProvider } from "./__fixtures__/toy/descriptor.ts";
import { loadApiKey } from "./api-key.ts";
import { defineProvider } from "./descriptor.ts";
import { prepareTurn } from "./prepare.ts";
import { droppedBlockWarning, foreignProducer } from "./reasoning.ts";
import { findProvider, listProviders, registerProvider } from "./registry.ts";

const server = setupLocalServer();

/** A throwaway provider: an OpenAI-compatible server named acme, with its own key variable. */
const acme = defineProvider({
  ...openAICompatibleProvider({
    ...OPENAI_PROFILE,
    name: "acme",
    description: "Acme Chat (a test provider)",
    apiKeyVariables: ["ACME_API_KEY"],
    baseURL: "https://api.acme.invalid/v1",
    baseURLVariables: ["ACME_BASE_URL"],
    defaultModel: "acme-1",
  }),
  aliases: ["acme-chat"],
});

describe("the provider registry", () => {
  it("a registered provider appears in settings, flag help, the factory and the contract suite", async () => {
    const unregister = registerProvider(acme);
    try {
      expect(findProvider("acme-chat")).toBe(acme);
      expect(settingsFlagsHelp()).toContain("acme (or acme-chat)");
      // The local provider server speaks the protocols of the registered providers, acme's included.
      expect((await registeredProtocols()).map((module) => module.name)).toContain(acme.protocol.name);
      const env = { ACME_API_KEY: "acme-secret", ACME_BASE_URL: server.baseURL(acme.protocol.name) };
      const loaded = loadSettings({ env, cwd: "/nonexistent", flags: { "ai-api-type": "acme-chat" } });
      expect(loaded.settings.chat).toMatchObject({ apiType: "acme", engine: "acme-1" });
      expect(loaded.settings.api?.acme?.baseURL).toBe(env.ACME_BASE_URL);

      server.respond({ script: { text: "Hello from acme." } });
      const engine = await createEngine(loaded, { env: {} });
      const turn = await engine.runInference(newTurn([newUserTextBlock("Hi")]), RunContext.background());
      expect(KeyInferenceResult.get(turn)).toMatchObject({ provider: "acme", finishClass: "completed" });
      const answer = turn.blocks.at(-1);
      expect(answer && KeyBlockMetaProvider.get(answer)).toBe("acme");
      expect(server.requests.at(-1)?.headers.authorization).toBe("Bearer acme-secret");

      const adapter = (await contractEngines()).find((candidate) => candidate.name === "acme");
      expect(adapter?.protocol).toBe("openai-chat");
      server.respond({
        script: { toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Oslo" } }] },
      });
      const ctx = RunContext.background().with(ToolCatalogKey, contractCatalog);
      const called = await adapter!.create(server).runInference(newTurn([newUserTextBlock("Oslo?")]), ctx);
      expect(called.blocks.at(-1)).toMatchObject({ kind: "tool_call", payload: { id: "call_1" } });
    } finally {
      unregister();
    }
    expect(findProvider("acme")).toBeUndefined();
    expect(listProviders().map((provider) => provider.id)).not.toContain("acme");
    expect(() => loadSettings({ env: {}, cwd: "/nonexistent", flags: { "ai-api-type": "acme" } })).toThrow(
      /setting chat\.apiType: must be one of .*anthropic \(or claude\)/,
    );
  });

  it("a provider with a wire of its own is one folder and one registration (__fixtures__/toy)", async () => {
    const unregister = registerProvider(toyProvider);
    const toyServer = await startProviderServer();
    try {
      expect(settingsFlagsHelp()).toContain("toy (or toy-chat)");
      const env = { TOY_API_KEY: "toy-secret", TOY_BASE_URL: toyServer.baseURL("toy") };
      const loaded = loadSettings({ env, cwd: "/nonexistent", flags: { "ai-api-type": "toy-chat" } });
      expect(loaded.settings.chat).toMatchObject({ apiType: "toy", engine: "toy-1" });

      toyServer.respond({ script: { text: "Hello from toy." } });
      const engine = await createEngine(loaded, { env: {} });
      const turn = await engine.runInference(newTurn([newUserTextBlock("Hi")]), RunContext.background());
      expect(KeyInferenceResult.get(turn)).toMatchObject({ provider: "toy", finishClass: "completed" });
      expect(turn.blocks.at(-1)).toMatchObject({ kind: "llm_text", payload: { text: "Hello from toy." } });
      expect(toyServer.requests.at(-1)).toMatchObject({
        protocol: "toy",
        path: "/toy/generate",
        headers: { authorization: "Bearer toy-secret" },
        body: { model: "toy-1", stream: true, messages: [{ role: "user", text: "Hi" }] },
      });

      const adapter = (await contractEngines()).find((candidate) => candidate.name === "toy");
      expect(adapter).toMatchObject({ protocol: "toy", maxTokensStopReason: "limit" });

      // serve-provider serves the toy wire and prints its base URL.
      const io = createTestIO();
      const printed = new Promise<void>((resolve) => io.onStdout(() => resolve()));
      const exit = main(["serve-provider", "--text", "Served toy"], io);
      await printed;
      const base = /toy\s+(http:\/\/127\.0\.0\.1:\d+\/toy)\n/.exec(io.err)?.[1];
      expect(base).toBeDefined();
      const answer = await fetch(`${base}/generate`, {
        method: "POST",
        body: '{"model":"toy-1","stream":false}',
      });
      expect(await answer.json()).toMatchObject({
        lines: [{ text: "Served " }, { text: "toy" }, { done: "stop" }],
      });
      io.interrupt();
      expect(await exit).toBe(0);
    } finally {
      await toyServer.close();
      unregister();
    }
    expect((await registeredProtocols()).map((module) => module.name)).not.toContain("toy");
  });

  it("refuses a second wire protocol under a name already taken", () => {
    const impostor = { ...toyProvider, protocol: { ...toyProvider.protocol, name: "anthropic" } };
    expect(() => registerProvider(impostor)).toThrow(
      'the wire protocol name "anthropic" of toy is already taken by the protocol of anthropic',
    );
  });

  it("refuses a provider whose id or alias is taken", () => {
    expect(() => registerProvider({ ...acme, id: "acme2", aliases: ["claude"] })).toThrow(
      'the name "claude" of acme2 is already taken by anthropic',
    );
    expect(findProvider("acme2")).toBeUndefined();
  });
});

describe("one missing-key message", () => {
  it("names the variables and the flag, for every provider that needs a key", () => {
    for (const provider of listProviders().filter((candidate) => candidate.apiKey.required)) {
      const { missingKey } = loadApiKey(
        { ...provider, baseURL: { ...provider.baseURL, default: provider.baseURL.default || "https://x" } },
        { env: {} },
      );
      expect(missingKey?.code).toBe("missing_api_key");
      expect(missingKey?.message).toBe(
        `${provider.id}: no API key: set ${[...provider.apiKey.variables, "--ai-api-key"].join(" or ")} ` +
          `(api.${provider.settingsKey}.apiKey in settings, apiKey in code)`,
      );
    }
  });

  it("engines throw it at the first inference", async () => {
    const anthropic = await findProvider("anthropic")!.load();
    const failure = await anthropic({ model: "m", env: {} })
      .runInference(newTurn([newUserTextBlock("Hi")]), RunContext.background())
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: "missing_api_key",
      message: expect.stringContaining("anthropic: no API key: set ANTHROPIC_API_KEY or --ai-api-key"),
    });
  });
});

describe("aliases on stamped blocks", () => {
  it("a Turn stamped claude (format v1) keeps its signed thinking and web-search result on anthropic", () => {
    const yaml = readFileSync(new URL("../turns/__fixtures__/turn-v1.yaml", import.meta.url), "utf8");
    const turn = turnFromYaml(yaml, "turn-v1.yaml");
    const { body, warnings } = buildClaudeRequest(prepareTurn(turn, []), {
      model: "claude-sonnet-4-5",
      stream: false,
    });
    const content = body.messages.flatMap((message) =>
      typeof message.content === "string" ? [] : message.content,
    );
    expect(content).toContainEqual({
      type: "thinking",
      thinking: "The user wants two things.",
      signature: "EqQBCkgIARABGAIiQL",
    });
    expect(content).toContainEqual({
      type: "web_search_tool_result",
      tool_use_id: "srvtoolu_01",
      content: [],
    });
    expect(warnings).toEqual([]);
  });

  it("another provider's reasoning is dropped with one wording", () => {
    const [block] = newTurn([newUserTextBlock("x")]).blocks;
    const stamped = KeyBlockMetaProvider.set(block!, "gemini");
    expect(foreignProducer(stamped, anthropicProvider)).toBe("gemini");
    expect(foreignProducer(KeyBlockMetaProvider.set(block!, "claude"), anthropicProvider)).toBeUndefined();
    expect(droppedBlockWarning("turn.blocks[3] (reasoning)", "gemini")).toBe(
      "turn.blocks[3] (reasoning): reasoning from gemini was dropped",
    );
  });
});
