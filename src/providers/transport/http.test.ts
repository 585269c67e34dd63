import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError, TimeoutError } from "../../engine/errors.ts";
import { type ProviderServer, startProviderServer } from "../../testing/provider-server/index.ts";
import { HttpTransport, type TransportOptions } from "./http.ts";
import { backoffDelayMs, retryAfterMs } from "./retry.ts";
import { createFixtureTap } from "./tap.ts";

const KEY = "sk-secret-transport-key-123456";
let server: ProviderServer;
beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

function transport(options: Partial<TransportOptions> = {}): HttpTransport {
  return new HttpTransport({
    provider: "openai",
    baseURL: server.baseURL("openai-chat"),
    headers: { authorization: `Bearer ${KEY}` },
    backoff: { baseDelayMs: 1 },
    ...options,
  });
}

const chatBody = { model: "m", stream: true, messages: [{ role: "user", content: "hi" }] };

async function streamText(client: HttpTransport, signal?: AbortSignal): Promise<string[]> {
  const response = await client.stream({
    path: "/chat/completions",
    body: chatBody,
    ...(signal ? { signal } : {}),
  });
  const events: string[] = [];
  await response.sse((data) => events.push(data));
  return events;
}

describe("HttpTransport", () => {
  it("streams SSE events and sends the key only in the authorization header", async () => {
    server.respond({ script: { text: "one two three" } });
    const events = await streamText(transport());
    expect(events.at(-1)).toBe("[DONE]");
    expect(events).toHaveLength(6);
    const request = server.requests[0]!;
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request.path).toBe("/v1/chat/completions");
    expect(JSON.stringify(request.body)).not.toContain(KEY);
  });

  it("posts JSON and reads the whole body with the request id", async () => {
    server.respond({ script: { text: "whole" }, headers: { "x-request-id": "req_123" } });
    const response = await transport().postJson<{ choices: { message: { content: string } }[] }>({
      path: "/chat/completions",
      body: { model: "m", messages: [] },
    });
    expect(response.body.choices[0]?.message.content).toBe("whole");
    expect(response.requestId).toBe("req_123");
  });

  it("a whole JSON body that ends cleanly before it is complete is a retryable early end, not malformed", async () => {
    const post = () =>
      transport()
        .postJson({ path: "/chat/completions", body: { model: "m", messages: [] } })
        .catch((caught: unknown) => caught as ProviderError);
    server.respond({ script: { text: "whole" }, streaming: false, faults: { endAfterBytes: 40 } });
    const early = await post();
    expect(early).toMatchObject({ code: "stream_interrupted", retryable: true });
    server.respond({ raw: { frames: ['{"choices": nope}'], contentType: "application/json" } });
    const malformed = await post();
    expect(malformed).toMatchObject({ code: "invalid_response", retryable: false });
  });

  it("retries 429 honouring retry-after-ms, then succeeds", async () => {
    server.enqueue({ error: { status: 429, headers: { "retry-after-ms": "5" } } });
    server.enqueue({ error: { status: 503, headers: { "retry-after": "0" } } });
    server.respond({ script: { text: "ok" } });
    const events = await streamText(transport());
    expect(events.at(-1)).toBe("[DONE]");
    expect(server.requests).toHaveLength(3);
  });

  it("gives up after maxRetries with a retryable ProviderError carrying the details", async () => {
    server.respond({
      error: {
        status: 500,
        headers: { "x-request-id": "req_500" },
        body: { error: { message: "boom", type: "server_error", code: "internal" } },
      },
    });
    const error = await streamText(transport({ client: { maxRetries: 1 } })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).details).toEqual({
      provider: "openai",
      status: 500,
      providerType: "server_error",
      providerCode: "internal",
      requestId: "req_500",
    });
    expect((error as ProviderError).retryable).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it("does not retry a 400", async () => {
    server.respond({
      error: { status: 400, body: { error: { message: "bad", type: "invalid_request_error" } } },
    });
    const error = await streamText(transport()).catch((caught: unknown) => caught);
    expect((error as ProviderError).status).toBe(400);
    expect((error as ProviderError).retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it("retries connection errors, then reports them without the key", async () => {
    const closed = await startProviderServer();
    const baseURL = closed.baseURL();
    await closed.close();
    const error = await transport({ baseURL, client: { maxRetries: 1 } })
      .postJson({ path: "/chat/completions", body: {} })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("connection_error");
    expect((error as ProviderError).retryable).toBe(true);
    expect((error as Error).message).not.toContain(KEY);
  });

  it("never retries once the stream is open: a cut connection is a retryable stream_interrupted", async () => {
    server.respond({ script: { text: "a b c d e f g h" }, faults: { cutAfterBytes: 300 } });
    const seen: string[] = [];
    const response = await transport().stream({ path: "/chat/completions", body: chatBody });
    const error = await response.sse((data) => seen.push(data)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("stream_interrupted");
    expect((error as ProviderError).retryable).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
  });

  it("times out waiting for the first byte", async () => {
    server.respond({ script: { text: "late" }, faults: { delayHeadersMs: 5_000 } });
    const error = await streamText(transport({ client: { firstByteTimeoutMs: 30, maxRetries: 0 } })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).kind).toBe("first-byte");
  });

  it("retries an attempt that timed out waiting for its first byte (each attempt has its own abort)", async () => {
    server.enqueue({ script: { text: "late" }, faults: { delayHeadersMs: 5_000 } });
    server.respond({ script: { text: "on time" } });
    const events = await streamText(transport({ client: { firstByteTimeoutMs: 500, maxRetries: 1 } }));
    expect(events.at(-1)).toBe("[DONE]");
    expect(server.requests).toHaveLength(2);
  });

  it("keeps a key in the base URL's user info or query out of connection errors", async () => {
    const closed = await startProviderServer();
    await closed.close();
    const host = new URL(closed.url).host;
    for (const baseURL of [`http://user:${KEY}@${host}/v1`, `http://${host}/v1?key=${KEY}`]) {
      const error = await streamText(transport({ baseURL, client: { maxRetries: 0 } })).catch(
        (caught: unknown) => caught as ProviderError,
      );
      expect((error as ProviderError).code).toBe("connection_error");
      expect(String(error)).not.toContain(KEY);
      expect(String((error as Error).cause)).not.toContain(KEY);
    }
  });

  it("gives each attempt its own first-byte budget: a backoff longer than the budget still retries", async () => {
    server.enqueue({ error: { status: 429, headers: { "retry-after-ms": "300" } } });
    server.respond({ script: { text: "ok" } });
    const events = await streamText(transport({ client: { firstByteTimeoutMs: 150, maxRetries: 1 } }));
    expect(events.at(-1)).toBe("[DONE]");
    expect(server.requests).toHaveLength(2);
  });

  it("times out on an idle gap between chunks", async () => {
    server.respond({ script: { text: "a b c" }, faults: { stallAfterBytes: 150 } });
    const error = await streamText(transport({ client: { idleTimeoutMs: 40 } })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).kind).toBe("idle");
    expect((error as TimeoutError).code).toBe("timeout_idle");
  });

  it("times out on the whole request", async () => {
    server.respond({ script: { text: "a b c d e f g h i j k l m n o p" }, pacingMs: 20 });
    const error = await streamText(transport({ client: { timeoutMs: 60 } })).catch(
      (caught: unknown) => caught,
    );
    expect((error as TimeoutError).kind).toBe("request");
  });

  it("rejects with the caller's abort reason when cancelled mid-stream", async () => {
    server.respond({ script: { text: "a b c" }, faults: { stallAfterBytes: 250 } });
    const controller = new AbortController();
    const response = await transport().stream({
      path: "/chat/completions",
      body: chatBody,
      signal: controller.signal,
    });
    const done = response.sse(() => controller.abort(new Error("user cancelled")));
    await expect(done).rejects.toThrow("user cancelled");
  });

  it("a cancel ends the wait on a consumer that holds the body back and never lets go", async () => {
    server.respond({ script: { tokens: Array.from({ length: 2_000 }, () => "token ") } });
    const controller = new AbortController();
    const held = new Promise<void>(() => {});
    const response = await transport().stream({
      path: "/chat/completions",
      body: chatBody,
      signal: controller.signal,
      // The consumer is behind from the first chunk on; the cancel comes once the transport waits on it.
      ready: () => {
        queueMicrotask(() => controller.abort(new Error("user cancelled")));
        return held;
      },
    });
    const done = response.sse(() => {});
    await expect(done).rejects.toThrow("user cancelled");
  });

  it("rejects with the abort reason itself (not stream_interrupted) when the abort lands between chunks", async () => {
    const framings = [
      { protocol: "openai-chat", path: "/chat/completions", accept: "text/event-stream", read: "sse" },
      { protocol: "ollama", path: "/api/chat", accept: "application/x-ndjson", read: "ndjson" },
      {
        protocol: "gemini",
        path: "/models/m:streamGenerateContent",
        accept: "application/json",
        read: "jsonArray",
      },
    ] as const;
    for (const framing of framings) {
      // A paced stream held open after its first frames: the abort comes while the body reader waits.
      server.respond({ script: { text: "a b c d e f" }, pacingMs: 5, faults: { stallAfterBytes: 400 } });
      const controller = new AbortController();
      const reason = new Error("user cancelled");
      const response = await transport({ baseURL: server.baseURL(framing.protocol) }).stream(
        { path: framing.path, body: { ...chatBody, contents: [] }, signal: controller.signal },
        framing.accept,
      );
      let aborted = false;
      const onPiece = (): void => {
        if (aborted) return;
        aborted = true;
        // Outside the callback: the abort lands while the reader awaits the next chunk.
        setImmediate(() => controller.abort(reason));
      };
      const error = await response[framing.read](onPiece).then(
        () => "resolved",
        (caught: unknown) => caught,
      );
      expect(error, framing.protocol).toBe(reason);
    }
  });

  it("keeps the API key out of error messages even when the provider echoes it", async () => {
    server.respond({
      error: {
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${KEY}`, type: "invalid_api_key" } },
      },
    });
    const error = await streamText(transport()).catch((caught: unknown) => caught);
    expect((error as ProviderError).code).toBe("authentication_failed");
    expect((error as Error).message).toContain("Incorrect API key provided: [redacted]");
    expect(
      JSON.stringify({ message: (error as Error).message, details: (error as ProviderError).details }),
    ).not.toContain(KEY);
  });

  it("taps the exchange into a fixture file with the credentials redacted", async () => {
    const folder = mkdtempSync(join(tmpdir(), "geppetto-tap-"));
    try {
      const path = join(folder, "report.sse");
      const tap = createFixtureTap(path);
      server.respond({ script: { text: "tapped words" } });
      await streamText(transport({ tap }));
      const body = readFileSync(path, "utf8");
      expect(body.startsWith("data: {")).toBe(true);
      expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
      const record = readFileSync(tap.requestPath, "utf8");
      expect(record).not.toContain(KEY);
      expect(JSON.parse(record)).toMatchObject({
        request: { method: "POST", headers: { authorization: "[redacted]" }, body: { model: "m" } },
        response: { status: 200 },
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("retry policy", () => {
  it("reads retry-after-ms, retry-after seconds and dates", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250" }))).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped", () => {
    expect(backoffDelayMs(0, undefined, { baseDelayMs: 100, random: () => 0 })).toBe(50);
    expect(backoffDelayMs(2, undefined, { baseDelayMs: 100, random: () => 1 })).toBe(400);
    expect(backoffDelayMs(10, undefined, { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 1 })).toBe(
      1_000,
    );
    expect(backoffDelayMs(0, 90_000)).toBe(60_000);
  });
});
