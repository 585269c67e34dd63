/**
 * The fault matrix: every fault the local provider server can inject, against every engine, over real HTTP.
 * Each fault ends the way a user can act on: retried before output where that is safe, otherwise a ProviderError
 * or TimeoutError with a stable code, `retryable` set right, the partial answer kept on `error.turn`, and one
 * `error` event. Nothing hangs: a fault that would wait for the 60 s idle timeout fails the test's own timeout.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../engine/engine.ts";
import { GeppettoError, ProviderError, TimeoutError } from "../engine/errors.ts";
import { CollectingSink, RunContext } from "../events/context.ts";
import type { ClientOptions } from "../providers/options.ts";
import {
  type ProviderServer,
  type ResponseSpec,
  startProviderServer,
} from "../testing/provider-server/index.ts";
import { assistantText, newTurn, newUserTextBlock } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import {
  bytesOf,
  contentTypeOf,
  createTestEngine,
  ENGINE_NAMES,
  type EngineName,
  errorFrame,
  frameWith,
  malformedFrame,
  protocolOf,
  shaped,
} from "./test-support.ts";

const SCRIPT = { text: "Partial answer that goes on for a few more words" };
const FIRST = "Partial";

/** What a fault must end as. */
type Expected =
  | { ok: true; requests: number }
  | {
      ok: false;
      code: string;
      /** Per engine when the provider's error type decides it. */
      retryable: boolean | ((engine: EngineName) => boolean);
      /** The partial answer kept on error.turn starts with this ("" for none). */
      partial: string;
      /** The provider's own message must reach the error. */
      message?: string;
      requests?: number;
      timeout?: boolean;
    };

interface Fault {
  name: string;
  client?: ClientOptions;
  /** Served in order; the last one stays as the default answer. */
  serve: (engine: EngineName) => ResponseSpec[];
  expected: Expected;
  /** Point the engine at a closed port instead of the server. */
  closedPort?: boolean;
}

const FAULTS: Fault[] = [
  {
    name: "HTTP 500, then an answer: retried",
    client: { maxRetries: 1 },
    serve: () => [{ error: { status: 500 } }, { script: SCRIPT }],
    expected: { ok: true, requests: 2 },
  },
  {
    name: "HTTP 429 with retry-after, then an answer: retried",
    client: { maxRetries: 1 },
    serve: () => [{ error: { status: 429, headers: { "retry-after-ms": "1" } } }, { script: SCRIPT }],
    expected: { ok: true, requests: 2 },
  },
  {
    name: "HTTP 400: not retried",
    client: { maxRetries: 2 },
    serve: () => [
      { error: { status: 400, body: { error: { message: "bad field", type: "invalid_request_error" } } } },
    ],
    expected: {
      ok: false,
      code: "invalid_request",
      retryable: false,
      partial: "",
      message: "bad field",
      requests: 1,
    },
  },
  {
    name: "no first byte in time, then an answer: the first-byte timeout is retried",
    client: { maxRetries: 1, firstByteTimeoutMs: 500 },
    serve: () => [{ script: SCRIPT, faults: { delayHeadersMs: 5_000 } }, { script: SCRIPT }],
    expected: { ok: true, requests: 2 },
  },
  {
    name: "no first byte on any attempt: timeout_first_byte after every retry",
    client: { maxRetries: 1, firstByteTimeoutMs: 100 },
    serve: () => [{ script: SCRIPT, faults: { delayHeadersMs: 5_000 } }],
    expected: {
      ok: false,
      code: "timeout_first_byte",
      retryable: true,
      partial: "",
      requests: 2,
      timeout: true,
    },
  },
  {
    name: "headers at once, then no first byte of the body in time, then an answer: retried",
    client: { maxRetries: 1, firstByteTimeoutMs: 500 },
    serve: () => [{ script: SCRIPT, faults: { stallAfterBytes: 0 } }, { script: SCRIPT }],
    expected: { ok: true, requests: 2 },
  },
  {
    name: "headers at once, then no first byte of the body on any attempt",
    client: { maxRetries: 1, firstByteTimeoutMs: 100 },
    serve: () => [{ script: SCRIPT, faults: { stallAfterBytes: 0 } }],
    expected: {
      ok: false,
      code: "timeout_first_byte",
      retryable: true,
      partial: "",
      requests: 2,
      timeout: true,
    },
  },
  {
    name: "connection refused",
    client: { maxRetries: 1 },
    closedPort: true,
    serve: () => [{ script: SCRIPT }],
    expected: { ok: false, code: "connection_error", retryable: true, partial: "" },
  },
  {
    name: "connection cut after some output",
    serve: () => [
      shaped(SCRIPT, (frames) => ({
        script: SCRIPT,
        faults: { cutAfterBytes: bytesOf(frames, frameWith(frames, FIRST) + 1) + 3 },
      })),
    ],
    expected: { ok: false, code: "stream_interrupted", retryable: true, partial: FIRST },
  },
  {
    name: "clean end in the middle of an event, after output",
    serve: () => [
      shaped(SCRIPT, (frames) => ({
        script: SCRIPT,
        faults: { endAfterBytes: bytesOf(frames, frameWith(frames, FIRST) + 1) + 12 },
      })),
    ],
    expected: { ok: false, code: "stream_interrupted", retryable: true, partial: FIRST },
  },
  {
    name: "clean end in the middle of the first event, before output",
    serve: () => [
      shaped(SCRIPT, (frames) => ({
        script: SCRIPT,
        faults: { endAfterBytes: Math.floor(bytesOf(frames, 1) / 2) },
      })),
    ],
    expected: { ok: false, code: "stream_interrupted", retryable: true, partial: "" },
  },
  {
    name: "clean end between events, before the end marker",
    serve: () => [
      shaped(SCRIPT, (frames) => ({
        script: SCRIPT,
        faults: { endAfterBytes: bytesOf(frames, frameWith(frames, FIRST) + 1) },
      })),
    ],
    expected: { ok: false, code: "stream_interrupted", retryable: true, partial: FIRST },
  },
  {
    name: "200 with an empty body",
    serve: () => [{ script: SCRIPT, faults: { endAfterBytes: 0 } }],
    expected: { ok: false, code: "stream_interrupted", retryable: true, partial: "" },
  },
  {
    name: "stalled stream: idle timeout",
    client: { idleTimeoutMs: 300 },
    serve: () => [
      shaped(SCRIPT, (frames) => ({
        script: SCRIPT,
        faults: { stallAfterBytes: bytesOf(frames, frameWith(frames, FIRST) + 1) },
      })),
    ],
    expected: { ok: false, code: "timeout_idle", retryable: true, partial: FIRST, timeout: true },
  },
  {
    name: "an error event on a connection that stays open ends the inference with the provider's error",
    client: { idleTimeoutMs: 15_000 },
    serve: (engine) => [
      shaped(SCRIPT, (frames) => ({
        raw: {
          frames: [
            ...frames.slice(0, frameWith(frames, FIRST) + 1),
            errorFrame(engine, "the provider is overloaded"),
          ],
          contentType: contentTypeOf(engine),
        },
        faults: { holdOpen: true },
      })),
    ],
    expected: {
      ok: false,
      code: "",
      // Ollama's error line has no type to tell a server error from a bad request.
      retryable: (engine) => engine !== "ollama",
      partial: FIRST,
      message: "the provider is overloaded",
    },
  },
  {
    name: "an event that is not JSON in the middle of the stream",
    serve: (engine) => [
      shaped(SCRIPT, (frames) => {
        const at = frameWith(frames, FIRST) + 1;
        return {
          raw: {
            frames: [...frames.slice(0, at), malformedFrame(engine), ...frames.slice(at)],
            contentType: contentTypeOf(engine),
          },
        };
      }),
    ],
    expected: { ok: false, code: "invalid_response", retryable: false, partial: FIRST },
  },
];

let server: ProviderServer;
let closedURL: (engine: EngineName) => string;
beforeAll(async () => {
  server = await startProviderServer();
  const closed = await startProviderServer();
  closedURL = (engine) => closed.baseURL(protocolOf(engine));
  await closed.close();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

describe.each(ENGINE_NAMES)("fault matrix: %s", (engineName) => {
  it.each(FAULTS)("$name", async (fault) => {
    const specs = fault.serve(engineName);
    server.enqueue(...specs.slice(0, -1));
    server.respond(specs.at(-1)!);
    const engine = createTestEngine(engineName, {
      baseURL: fault.closedPort ? closedURL(engineName) : server.baseURL(protocolOf(engineName)),
      ...(fault.client ? { client: fault.client } : {}),
    });
    const sink = new CollectingSink();
    const turn = newTurn([newUserTextBlock("Tell me something")]);
    const outcome = await engine.runInference(turn, RunContext.background().withSinks(sink)).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const expected = fault.expected;
    if (expected.ok) {
      expect("value" in outcome ? assistantText(outcome.value) : outcome.error).toBe(SCRIPT.text);
      expect(server.requests).toHaveLength(expected.requests);
      expect(sink.events.filter((event) => event.type === "error")).toHaveLength(0);
      return;
    }
    expect("error" in outcome).toBe(true);
    const error = (outcome as { error: unknown }).error;
    expect(GeppettoError.is(error)).toBe(true);
    const failure = error as GeppettoError;
    expect(failure).toBeInstanceOf(expected.timeout ? TimeoutError : ProviderError);
    if (expected.code) expect(failure.code).toBe(expected.code);
    const retryable =
      typeof expected.retryable === "function" ? expected.retryable(engineName) : expected.retryable;
    expect(failure.retryable).toBe(retryable);
    if (expected.message) expect(failure.message).toContain(expected.message);
    if (expected.requests !== undefined) expect(server.requests).toHaveLength(expected.requests);
    const errors = sink.events.filter((event) => event.type === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: failure.code, retryable: failure.retryable });
    expect(failure.turn).toBeDefined();
    const partial = assistantText(failure.turn!);
    if (expected.partial) expect(partial.startsWith(expected.partial)).toBe(true);
    else expect(partial).toBe("");
    expect(SCRIPT.text.startsWith(partial)).toBe(true);
    expect(KeyInferenceResult.get(failure.turn!)?.finishClass).toBe("error");
  });
});

describe("an OpenAI-compatible server that answers a stream request with one whole JSON body", () => {
  const run = () =>
    createTestEngine("openai-chat", { baseURL: server.baseURL("openai-chat") })
      .runInference(newTurn([newUserTextBlock("Hi")]), RunContext.background())
      .catch((caught: unknown) => caught as GeppettoError);

  it("cut short, it is a stream that ended early (retryable); malformed, it is invalid_response", async () => {
    server.respond({ script: SCRIPT, streaming: false, faults: { endAfterBytes: 40 } });
    expect(await run()).toMatchObject({ code: "stream_interrupted", retryable: true });
    server.respond({ raw: { frames: ['{"choices": nope}'], contentType: "application/json" } });
    expect(await run()).toMatchObject({ code: "invalid_response", retryable: false });
    server.respond({ script: SCRIPT, streaming: false });
    expect(assistantText((await run()) as Turn)).toBe(SCRIPT.text);
  });
});
