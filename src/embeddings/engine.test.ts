/**
 * The embeddings engine over real HTTP against the local provider server, for each provider in its documented
 * wire form: vectors in the order of the texts, batches of at most `batchSize`, `dimensions` sent as the
 * provider names it, token usage summed, retries on a 429, the first-byte timeout, the key never in an error, and the engine from
 * settings.
 */
import { describe, expect, it } from "vitest";
import { GeppettoError, TimeoutError } from "../engine/errors.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { loadSettings } from "../settings/load.ts";
import { localEmbedding } from "../testing/provider-server/embeddings.ts";
import { createEmbeddingsEngine, type EmbeddingsEngineOptions } from "./engine.ts";
import { embeddingsEngineFromSettings } from "./settings.ts";
import type { EmbeddingsProvider } from "./wire.ts";

const server = setupLocalServer();
const KEY = "sk-embeddings-canary-0123456789";

const cases: { provider: EmbeddingsProvider; protocol: string; texts: (body: unknown) => number }[] = [
  {
    provider: "openai",
    protocol: "openai-chat",
    texts: (body) => (body as { input: string[] }).input.length,
  },
  {
    provider: "gemini",
    protocol: "gemini",
    texts: (body) => (body as { requests: unknown[] }).requests.length,
  },
  { provider: "ollama", protocol: "ollama", texts: (body) => (body as { input: string[] }).input.length },
];

const make = (
  provider: EmbeddingsProvider,
  protocol: string,
  options: Partial<EmbeddingsEngineOptions> = {},
) =>
  createEmbeddingsEngine({
    provider,
    apiKey: KEY,
    baseURL: server.baseURL(protocol),
    env: {},
    backoff: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });

describe.each(cases)("embeddings on $provider", ({ provider, protocol, texts }) => {
  it("returns one vector per text, in order, in batches, with the dimensions asked for", async () => {
    const input = ["alpha", "beta", "gamma", "delta", "epsilon"];
    const before = server.requests.length;
    const result = await make(provider, protocol, { dimensions: 4, batchSize: 2 }).embed(input);
    expect(result.embeddings).toEqual(input.map((text) => localEmbedding(text, 4)));
    const sent = server.requests.slice(before);
    expect(sent.map((request) => texts(request.body))).toEqual([2, 2, 1]);
    const dimensionsField = { openai: "dimensions", gemini: "outputDimensionality", ollama: "dimensions" }[
      provider
    ];
    expect(JSON.stringify(sent[0]?.body)).toContain(`"${dimensionsField}":4`);
    if (provider !== "gemini") expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  it("retries a 429, and a 401 is a ProviderError without the key", async () => {
    server.enqueue({ error: { status: 429, body: { error: { message: "slow down" } } } });
    expect((await make(provider, protocol).embed(["one"])).embeddings).toHaveLength(1);
    server.enqueue({ error: { status: 401, body: { error: { message: `bad key ${KEY}` } } } });
    const failure = await make(provider, protocol, { client: { maxRetries: 0 } })
      .embed(["one"])
      .catch((error: unknown) => error);
    expect(GeppettoError.is(failure) && failure.fault).toBe("provider");
    expect(String((failure as Error).message)).not.toContain(KEY);
  });

  it("an answer later than the first-byte timeout is a TimeoutError", async () => {
    server.enqueue({ script: {}, faults: { delayHeadersMs: 1_000 } });
    const failure = await make(provider, protocol, { client: { firstByteTimeoutMs: 30, maxRetries: 0 } })
      .embed(["one"])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
    expect((failure as TimeoutError).kind).toBe("first-byte");
  });
});

describe("embeddings settings", () => {
  it("the embeddings block picks the provider, model and dimensions; api.<provider> the endpoint", async () => {
    const loaded = loadSettings({
      env: { XDG_CONFIG_HOME: "/nonexistent/geppetto-test" },
      cwd: "/nonexistent",
    });
    const settings = {
      ...loaded,
      settings: {
        ...loaded.settings,
        api: { gemini: { apiKey: KEY, baseURL: server.baseURL("gemini") } },
        embeddings: { apiType: "gemini", engine: "text-embedding-004", dimensions: 3 },
      },
    };
    const engine = embeddingsEngineFromSettings(settings);
    const { embeddings, model } = await engine.embed(["hello"]);
    expect(model).toBe("text-embedding-004");
    expect(embeddings).toEqual([localEmbedding("hello", 3)]);
    expect(server.requests.at(-1)?.path).toBe("/v1beta/models/text-embedding-004:batchEmbedContents");
    const bad = { ...settings, settings: { ...settings.settings, embeddings: { apiType: "anthropic" } } };
    expect(() => embeddingsEngineFromSettings(bad)).toThrow(
      'setting embeddings.apiType: must be one of openai, gemini, ollama (got "anthropic")',
    );
  });

  it("bad dimensions are a CallerError naming them", () => {
    expect(() => createEmbeddingsEngine({ provider: "openai", apiKey: "k", dimensions: 0 })).toThrow(
      "createEmbeddingsEngine: dimensions must be a positive integer (got 0)",
    );
  });
});
