/**
 * What the provider's response said (status, request id, requests sent, rate-limit and provider headers) on the
 * ending event of an inference (`final`, `interrupt`, `error`) in `meta.extra`, over real HTTP against the local
 * provider server replaying recorded responses with their recorded headers.
 */
import { describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../events/context.ts";
import { createClaudeEngine } from "../providers/anthropic/index.ts";
import { createOllamaEngine } from "../providers/ollama/index.ts";
import { createOpenAIChatEngine } from "../providers/openai/index.ts";
import { cancelAtFirstText, fixturePath, replay, setupLocalServer } from "../providers/test-support.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";

const server = setupLocalServer();
const openAI = (maxRetries = 0) =>
  createOpenAIChatEngine({
    model: "gpt-4o-mini",
    apiKey: "sk-response-meta-key",
    baseURL: server.baseURL("openai-chat"),
    client: { maxRetries },
  });

describe("meta.extra of the ending event", () => {
  it("OpenAI (recorded tool call): status, request id, rate-limit and provider headers on `final`", async () => {
    const { sink } = await replay(openAI(), server, {
      fixture: fixturePath("openai-chat", "tool-call.httprr.txt"),
    });
    const [final] = sink.ofType("final");
    expect(final?.meta.extra).toEqual({
      response: { status: 200, requests: 1, requestId: "req_b0e29abccfdc4d798f989feba1d6262b" },
      rateLimit: {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": "50000000",
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-remaining-tokens": "49999989",
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "0s",
      },
      providerHeaders: {
        "openai-processing-ms": "437",
        "openai-version": "2020-10-01",
        "x-envoy-upstream-service-time": "466",
      },
    });
    // Only the ending event carries it: a streamed piece pays nothing for it.
    expect(sink.events.filter((event) => event.meta.extra !== undefined).map((event) => event.type)).toEqual([
      "final",
    ]);
  });

  it("Anthropic (recorded stream): the `request-id` header", async () => {
    const engine = createClaudeEngine({
      model: "claude-3-opus-20240229",
      apiKey: "sk-ant-response-meta",
      baseURL: server.baseURL("anthropic"),
      client: { maxRetries: 0 },
    });
    const { sink } = await replay(engine, server, {
      fixture: fixturePath("anthropic", "stream-raw-http.httprr.txt"),
    });
    expect(sink.ofType("final")[0]?.meta.extra).toEqual({
      response: { status: 200, requests: 1, requestId: "req_011CSFCEDW38yAyCenJvnwn8" },
    });
  });

  it("Ollama (recorded NDJSON stream): the `x-request-id` header", async () => {
    const engine = createOllamaEngine({
      model: "gemma3:1b",
      baseURL: server.baseURL("ollama"),
      client: { maxRetries: 0 },
      env: {},
    });
    const { sink } = await replay(engine, server, {
      fixture: fixturePath("ollama", "cloud-stream-thinking.httprr.txt"),
    });
    expect(sink.ofType("final")[0]?.meta.extra).toEqual({
      response: { status: 200, requests: 1, requestId: "5daa4dfb-a492-4d9f-bc9c-56aae1053acf" },
    });
  });

  it("after a retried 429, the answer's headers and the number of requests sent", async () => {
    server.enqueue(
      {
        error: {
          status: 429,
          body: { error: { message: "slow down" } },
          headers: { "retry-after-ms": "1", "x-ratelimit-remaining-requests": "0" },
        },
      },
      {
        script: { text: "ok" },
        headers: { "x-request-id": "req_second", "x-ratelimit-remaining-requests": "41" },
      },
    );
    const sink = new CollectingSink();
    await openAI(2).runInference(newTurn([newUserTextBlock("hi")]), RunContext.background().withSinks(sink));
    expect(sink.ofType("status")[0]?.meta.extra?.rateLimit).toEqual({
      "retry-after-ms": "1",
      "x-ratelimit-remaining-requests": "0",
    });
    expect(sink.ofType("final")[0]?.meta.extra).toEqual({
      response: { status: 200, requests: 2, requestId: "req_second" },
      rateLimit: { "x-ratelimit-remaining-requests": "41" },
    });
  });

  it("a failed inference: the refusing response's status and request id on `error`", async () => {
    server.enqueue({
      error: { status: 401, body: { error: { message: "bad key" } }, headers: { "x-request-id": "req_401" } },
    });
    const sink = new CollectingSink();
    await expect(
      openAI().runInference(newTurn([newUserTextBlock("hi")]), RunContext.background().withSinks(sink)),
    ).rejects.toThrow(/401/);
    expect(sink.ofType("error")[0]?.meta.extra).toEqual({
      response: { status: 401, requests: 1, requestId: "req_401" },
    });
  });

  it("a cancelled inference: on `interrupt`", async () => {
    server.respond({
      script: { text: "one two three four five six" },
      pacingMs: 5,
      headers: { "x-request-id": "req_cancelled" },
    });
    const sink = new CollectingSink();
    await openAI().runInference(newTurn([newUserTextBlock("count")]), cancelAtFirstText().withSinks(sink));
    expect(sink.ofType("interrupt")[0]?.meta.extra).toEqual({
      response: { status: 200, requests: 1, requestId: "req_cancelled" },
    });
  });
});
