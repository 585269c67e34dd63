/**
 * The Gemini engine over real HTTP: a conversation made from recorded streams survives YAML and continues with
 * every thought signature on its part; scripted answers in both stream forms; errors, cancellation and keys.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { CallerError, ProviderError } from "../../engine/errors.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { GEMINI_LOCAL_SIGNATURE } from "../../testing/provider-server/gemini.ts";
import {
  appendBlock,
  assistantText,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../../turns/builders.ts";
import { turnFromYaml, turnToYaml } from "../../turns/serialization.ts";
import type { Turn } from "../../turns/types.ts";
import { providerFixturesRoot, setupLocalServer } from "../test-support.ts";
import { createGeminiEngine, GeminiEngine, type GeminiEngineOptions } from "./engine.ts";
import type { GeminiRequestBody } from "./wire.ts";

const FIXTURES = fileURLToPath(new URL("gemini/", providerFixturesRoot()));
const fixture = (name: string) => join(FIXTURES, name);
const KEY = "AIza-secret-engine-test-key";

const server = setupLocalServer();

function engine(options: Partial<GeminiEngineOptions> = {}) {
  return new GeminiEngine({
    model: "gemini-2.5-pro",
    apiKey: KEY,
    baseURL: server.baseURL("gemini"),
    client: { maxRetries: 0 },
    ...options,
  });
}

const ctx = () => RunContext.background();

describe("Gemini round trip", () => {
  it("continues a saved conversation with signatures on the right parts and the function response", async () => {
    // 1. Thought summaries, then an answer whose first text part carries the signature.
    server.respond({ fixture: fixture("stream-raw-sse-thought-summaries.sse") });
    let turn = await engine().runInference(newTurn([newUserTextBlock("How do I cross the street?")]), ctx());
    // 2. A function call with its signature.
    turn = appendBlock(turn, newUserTextBlock("What's the weather in San Francisco?"));
    server.respond({ fixture: fixture("stream-function-call.chunks.txt") });
    turn = await engine().runInference(turn, ctx());
    const [call] = pendingToolCalls(turn);
    turn = appendBlock(turn, newToolUseBlock(call!.payload.id, { forecast: "fog", celsius: 14 }));
    // 3. Saved, loaded, continued.
    const loaded: Turn = turnFromYaml(turnToYaml(turn));
    expect(loaded).toEqual(turn);
    server.respond({ fixture: fixture("stream-text.chunks.txt") });
    const next = await engine().runInference(loaded, ctx());
    const body = server.requests.at(-1)!.body as GeminiRequestBody;
    const [firstUser, firstModel, secondUser, secondModel, functionResponse] = body.contents;
    expect(body.contents).toHaveLength(5);
    expect(firstUser).toEqual({ role: "user", parts: [{ text: "How do I cross the street?" }] });
    expect(firstModel!.role).toBe("model");
    expect(firstModel!.parts).toHaveLength(2);
    expect(firstModel!.parts[0]).toMatchObject({ thought: true });
    expect(firstModel!.parts[0]!.text!.startsWith("**Clarifying User Goals**")).toBe(true);
    expect(firstModel!.parts[0]!.thoughtSignature).toBeUndefined();
    expect(firstModel!.parts[1]!.text!.startsWith("This is a great question!")).toBe(true);
    expect(firstModel!.parts[1]!.thoughtSignature).toMatch(/^CiIB0e2Kb6Syj1a961Ef/);
    expect(secondUser).toEqual({ role: "user", parts: [{ text: "What's the weather in San Francisco?" }] });
    expect(secondModel!.parts).toEqual([
      {
        functionCall: { name: "weather", args: { location: "San Francisco" } },
        thoughtSignature: expect.stringMatching(/^EqUCCqICAb4/),
      },
    ]);
    expect(functionResponse).toEqual({
      role: "user",
      parts: [
        { functionResponse: { name: "weather", response: { output: { forecast: "fog", celsius: 14 } } } },
      ],
    });
    // 4. The signature of an empty trailing part comes back as an empty part after the text.
    const request = engine().buildRequest(appendBlock(next, newUserTextBlock("thanks")), ctx());
    // Contents come as cached pieces; through JSON they are the plain body.
    const { contents } = JSON.parse(JSON.stringify(request.body)) as GeminiRequestBody;
    const lastModel = contents.at(-2)!;
    expect(lastModel.parts).toEqual([
      { text: 'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y' },
      { text: "", thoughtSignature: expect.stringMatching(/^EqsFCqgFAb4/) },
    ]);
  });
});

describe("Gemini engine", () => {
  it("streams a scripted answer as SSE and as a JSON array", async () => {
    for (const streamFormat of ["sse", "json-array"] as const) {
      server.respond({ script: { reasoning: "Let me think.", text: "Hello there, friend." } });
      const sink = new CollectingSink();
      const turn = await engine({ streamFormat }).runInference(
        newTurn([newUserTextBlock("hi")]),
        ctx().withSinks(sink),
      );
      expect(assistantText(turn)).toBe("Hello there, friend.");
      expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "reasoning", "llm_text"]);
      expect(sink.ofType("partial").map((event) => event.delta)).toEqual(["Hello ", "there, ", "friend."]);
      expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "completed", stopReason: "STOP" });
    }
  });

  it("streams partialArgs tool calls from the scripted server", async () => {
    server.respond({
      script: { toolCalls: [{ name: "write", arguments: { path: "a.txt", size: 3 }, chunks: 3 }] },
    });
    const sink = new CollectingSink();
    const turn = await engine().runInference(newTurn([newUserTextBlock("go")]), ctx().withSinks(sink));
    const [call] = pendingToolCalls(turn);
    expect(call!.payload).toMatchObject({ name: "write", args: { path: "a.txt", size: 3 } });
    const deltas = sink.ofType("tool-call-arguments-delta").map((event) => event.delta);
    expect(deltas.join("")).toBe('{"path":"a.txt","size":3}');
    expect(KeyInferenceResult.get(turn)?.finishClass).toBe("tool_calls_pending");
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "tool_calls_pending" });
    expect(call!.metadata).toMatchObject({ "gemini.thought_signature@v1": GEMINI_LOCAL_SIGNATURE });
  });

  it("an error object mid-stream becomes an error event and keeps the partial text", async () => {
    const chunk = { candidates: [{ content: { role: "model", parts: [{ text: "Partial " }] } }] };
    const error = { error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } };
    server.respond({
      error: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: `data: ${JSON.stringify(chunk)}\n\ndata: ${JSON.stringify(error)}\n\n`,
      },
    });
    const sink = new CollectingSink();
    const failure = await engine()
      .runInference(newTurn([newUserTextBlock("hi")]), ctx().withSinks(sink))
      .catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(ProviderError);
    const providerError = failure as ProviderError;
    expect(providerError.retryable).toBe(true);
    expect(providerError.details).toMatchObject({ status: 503, providerType: "UNAVAILABLE" });
    expect(assistantText(providerError.turn!)).toBe("Partial ");
    expect(sink.ofType("error")).toHaveLength(1);
  });

  it("a stream that ends without a finish reason is a retryable interruption", async () => {
    const chunk = { candidates: [{ content: { role: "model", parts: [{ text: "cut" }] } }] };
    server.respond({
      error: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: `data: ${JSON.stringify(chunk)}\n\n`,
      },
    });
    const failure = (await engine()
      .runInference(newTurn([newUserTextBlock("hi")]), ctx())
      .catch((caught: unknown) => caught)) as ProviderError;
    expect(failure.code).toBe("stream_interrupted");
    expect(assistantText(failure.turn!)).toBe("cut");
  });

  it("cancellation mid-stream resolves with the partial text", async () => {
    server.respond({ script: { text: "one two three four five six" }, pacingMs: 5 });
    const controller = new AbortController();
    const sink = new CollectingSink();
    const turn = await engine().runInference(
      newTurn([newUserTextBlock("count")]),
      ctx()
        .withSinks(sink, {
          publish: (event) => {
            if (event.type === "partial") controller.abort();
          },
        })
        .withSignal(controller.signal),
    );
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "interrupted", truncated: true });
    expect(assistantText(turn)).toBe("one ");
    expect(sink.ofType("interrupt")).toHaveLength(1);
  });

  it("maps content-filter and malformed-call finish reasons", async () => {
    for (const [stopReason, finishClass] of [
      ["SAFETY", "unknown"],
      ["MALFORMED_FUNCTION_CALL", "error"],
    ] as const) {
      server.respond({ script: { text: "x", stopReason } });
      const sink = new CollectingSink();
      const turn = await engine().runInference(newTurn([newUserTextBlock("hi")]), ctx().withSinks(sink));
      expect(KeyInferenceResult.get(turn)).toMatchObject({ stopReason, finishClass });
      expect(sink.ofType("log").some((event) => event.message.includes(stopReason))).toBe(true);
    }
  });

  it("retries a 429 RESOURCE_EXHAUSTED before the first byte, honouring retry-after", async () => {
    server.enqueue({
      error: {
        status: 429,
        headers: { "retry-after": "0" },
        body: { error: { code: 429, message: "Resource has been exhausted", status: "RESOURCE_EXHAUSTED" } },
      },
    });
    server.respond({ script: { text: "after retry" } });
    const turn = await engine({ client: { maxRetries: 1 } }).runInference(
      newTurn([newUserTextBlock("hi")]),
      ctx(),
    );
    expect(assistantText(turn)).toBe("after retry");
    expect(server.requests).toHaveLength(2);
    server.enqueue({
      error: { status: 429, body: { error: { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED" } } },
    });
    const failure = (await engine()
      .runInference(newTurn([newUserTextBlock("hi")]), ctx())
      .catch((caught: unknown) => caught)) as ProviderError;
    expect(failure).toMatchObject({ status: 429, retryable: true, code: "rate_limited" });
    expect(failure.details.providerType).toBe("RESOURCE_EXHAUSTED");
  });

  it("takes the key from GEMINI_API_KEY or GOOGLE_API_KEY and never puts it in the URL or errors", async () => {
    server.respond({
      error: {
        status: 403,
        body: { error: { code: 403, message: `bad key ${KEY}`, status: "PERMISSION_DENIED" } },
      },
    });
    const failure = (await createGeminiEngine({
      model: "gemini-2.5-flash",
      baseURL: server.baseURL("gemini"),
      env: { GOOGLE_API_KEY: KEY },
      client: { maxRetries: 0 },
    })
      .runInference(newTurn([newUserTextBlock("hi")]), ctx())
      .catch((caught: unknown) => caught)) as ProviderError;
    const request = server.requests[0]!;
    expect(request.headers["x-goog-api-key"]).toBe(KEY);
    expect(request.path).not.toContain(KEY);
    expect(failure.status).toBe(403);
    expect(failure.message).not.toContain(KEY);
    expect(failure.message).toContain("[redacted]");
    await expect(
      createGeminiEngine({ model: "gemini-2.5-flash", env: {} }).runInference(newTurn([]), ctx()),
    ).rejects.toBeInstanceOf(CallerError);
  });
});
