import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import { RunContext } from "../events/context.ts";
import { type ProviderServer, startProviderServer } from "../testing/provider-server/index.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { assistantText, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { computeCost, withCost } from "./cost.ts";
import { createEngine, engineOptionsFromSettings } from "./factory.ts";
import { loadSettings } from "./load.ts";

const load = (flags: Record<string, unknown>, env: Record<string, string> = {}) =>
  loadSettings({
    env: { XDG_CONFIG_HOME: "/nonexistent/geppetto-test", ...env },
    cwd: "/nonexistent/project",
    flags,
  });

async function errorOf(run: () => Promise<unknown>): Promise<GeppettoError> {
  try {
    await run();
  } catch (error) {
    if (GeppettoError.is(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("createEngine", () => {
  it("an unknown api type given in code is a CallerError naming the setting", async () => {
    const error = await errorOf(() => createEngine({ chat: { apiType: "palm" as never } }));
    expect(error.fault).toBe("caller");
    expect(error.message).toMatch(
      /setting chat\.apiType: must be one of openai \(or openai-compatible\), openai-responses/,
    );
    expect(error.message).toMatch(/\(from settings given in code\)$/);
  });

  it("no api type at all says how to choose one", async () => {
    const error = await errorOf(() => createEngine(load({})));
    expect(error.message).toMatch(/setting chat\.apiType: no provider chosen: set --ai-api-type/);
  });

  it("a missing key names the setting, the variable and where the api type came from", async () => {
    const error = await errorOf(() => createEngine(load({ "ai-api-type": "anthropic" })));
    expect(error.code).toBe("invalid_settings");
    expect(error.message).toBe(
      "setting api.claude.apiKey: anthropic: no API key: set ANTHROPIC_API_KEY or --ai-api-key " +
        "(api.claude.apiKey in settings, apiKey in code) (from flag --ai-api-type)",
    );
  });

  it("no key is needed for ollama or a local endpoint", () => {
    expect(engineOptionsFromSettings(load({ "ai-api-type": "ollama" })).options).toMatchObject({
      model: "llama3.2",
    });
    const local = load({ "ai-api-type": "openai", "ai-base-url": "http://127.0.0.1:4000/v1" });
    expect(engineOptionsFromSettings(local).options).toMatchObject({ baseURL: "http://127.0.0.1:4000/v1" });
  });

  it("maps settings to provider options: chat sampling under engine-level inference, structured output", () => {
    const loaded = load(
      {
        "ai-api-type": "openai-responses",
        "ai-engine": "gpt-5-mini",
        "ai-temperature": "0.3",
        "ai-stop": ["END"],
        "thinking-budget": "2048",
        "ai-structured-output-schema": '{"type":"object"}',
        "ai-structured-output-name": "answer",
        "ai-max-retries": "5",
      },
      { OPENAI_API_KEY: "sk-test", GEPPETTO_AI_STREAM: "false" },
    );
    const { apiType, options } = engineOptionsFromSettings(loaded);
    expect(apiType).toBe("openai-responses");
    expect(options).toEqual({
      model: "gpt-5-mini",
      apiKey: "sk-test",
      client: { maxRetries: 5 },
      stream: false,
      inference: { temperature: 0.3, stop: ["END"], thinkingBudget: 2048 },
      structuredOutput: { mode: "json_schema", name: "answer", schema: { type: "object" } },
      env: {},
    });
  });

  it("structured output: a json_schema mode without a schema, or an invalid one with requireValid", async () => {
    const missing = await errorOf(() =>
      createEngine(load({ "ai-api-type": "ollama", "ai-structured-output-mode": "json_schema" })),
    );
    expect(missing.message).toMatch(
      /setting chat\.structuredOutput\.schema: required when the mode is json_schema \(from flag --ai-structured-output-mode\)/,
    );
    const invalid = await errorOf(() =>
      createEngine(
        load({
          "ai-api-type": "ollama",
          "ai-structured-output-name": "bad name!",
          "ai-structured-output-schema": '{"type":"array"}',
          "ai-structured-output-require-valid": "true",
        }),
      ),
    );
    expect(invalid.message).toMatch(/setting chat\.structuredOutput: name "bad name!" must match/);
    expect(invalid.message).toMatch(/from flag --ai-structured-output-schema/);
  });

  it("builds the OpenAI Responses engine (loaded on demand)", async () => {
    const engine = await createEngine(load({ "ai-api-type": "openai-responses", "ai-api-key": "sk-x" }));
    expect(typeof engine.runInference).toBe("function");
  });
});

describe("createEngine builds the engine of each api type (real HTTP on 127.0.0.1)", () => {
  let server: ProviderServer;
  beforeAll(async () => {
    server = await startProviderServer({
      response: { script: { text: "Hello from the wire.", usage: { inputTokens: 4, outputTokens: 4 } } },
    });
  });
  afterAll(() => server.close());

  const cases = [
    { apiType: "openai", protocol: "openai-chat" },
    { apiType: "openai-responses", protocol: "openai-responses" },
    { apiType: "anthropic", protocol: "anthropic" },
    { apiType: "gemini", protocol: "gemini" },
    { apiType: "ollama", protocol: "ollama" },
  ];
  for (const { apiType, protocol } of cases) {
    const present = existsSync(join(import.meta.dirname, "..", "providers", apiType, "index.ts"));
    it.skipIf(!present)(`${apiType} (skipped when its provider folder is not there yet)`, async () => {
      const loaded = load({
        "ai-api-type": apiType,
        "ai-engine": "test-model",
        "ai-base-url": server.baseURL(protocol),
        "ai-temperature": "0.5",
      });
      const engine = await createEngine(loaded);
      const out = await engine.runInference(newTurn([newUserTextBlock("Hi")]), RunContext.background());
      expect(assistantText(out)).toBe("Hello from the wire.");
      const request = server.requests.at(-1);
      expect(request?.protocol).toBe(protocol);
      expect(JSON.stringify(request?.body)).toContain('"temperature":0.5');
    });
  }

  it("the openai block's logitBias goes to OpenAI Chat as logit_bias; a bad one names the setting", async () => {
    const settings = {
      chat: { apiType: "openai" as const, engine: "gpt-4o-mini" },
      api: { openai: { apiKey: "k", baseURL: server.baseURL("openai-chat") } },
      openai: { logitBias: { "50256": -100 } },
    };
    const engine = await createEngine(settings);
    await engine.runInference(newTurn([newUserTextBlock("Hi")]), RunContext.background());
    const body = server.requests.at(-1)?.body as { logit_bias?: unknown } | undefined;
    expect(body?.logit_bias).toEqual({ "50256": -100 });
    const error = await errorOf(() => createEngine({ ...settings, openai: { logitBias: { hello: 200 } } }));
    expect(error.message).toMatch(/setting openai\.logitBias\.hello/);
  });
});

describe("cost", () => {
  it("prices input, output and cached tokens per million", () => {
    expect(
      computeCost(
        { inputTokens: 1_000_000, outputTokens: 500_000, cachedTokens: 200_000 },
        { inputPerMillion: 1, outputPerMillion: 4, cachedInputPerMillion: 0.5 },
      ),
    ).toEqual({ currency: "USD", input: 0.8, output: 2, cached: 0.1, total: 2.9 });
    expect(
      computeCost(
        { inputTokens: 1000, outputTokens: 0, cacheReadInputTokens: 1000, cacheCreationInputTokens: 1000 },
        { inputPerMillion: 3, outputPerMillion: 15, cachedInputPerMillion: 0.3, cacheWritePerMillion: 3.75 },
      ),
    ).toEqual({ currency: "USD", input: 0.00675, output: 0, cached: 0.0003, total: 0.00705 });
    expect(computeCost({ inputTokens: 5 }, {})).toBeUndefined();
    expect(computeCost(undefined, { inputPerMillion: 1 })).toBeUndefined();
  });

  it("withCost stamps the cost on the inference result", async () => {
    const scripted = new ScriptedEngine([
      [
        ...script.text("hi"),
        script.usage({ inputTokens: 2_000_000, outputTokens: 1_000_000 }),
        script.stop("stop"),
      ],
    ]);
    const engine = withCost(scripted, { inputPerMillion: 0.15, outputPerMillion: 0.6 });
    const out = await engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background());
    expect(KeyInferenceResult.get(out)?.cost).toEqual({
      currency: "USD",
      input: 0.3,
      output: 0.6,
      total: 0.9,
    });
  });
});
