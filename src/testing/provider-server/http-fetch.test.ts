/**
 * httpFetch: the OpenAI Chat engine over a node:http client against the local provider server answers as it does
 * over the platform fetch, and a retried status, an abort and a refused connection behave as with fetch.
 */
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { createOpenAIChatEngine } from "../../providers/openai/engine.ts";
import { assistantText, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { httpFetch } from "./http-fetch.ts";
import { startProviderServer } from "./server.ts";

const server = await startProviderServer({ response: { script: { text: "one two three" } } });
afterAll(() => server.close());

const engineWith = (fetch: typeof globalThis.fetch) =>
  createOpenAIChatEngine({
    model: "m",
    apiKey: "local",
    baseURL: server.baseURL(),
    env: {},
    fetch,
    backoff: { baseDelayMs: 1, maxDelayMs: 1 },
  });

describe("httpFetch", () => {
  it("streams the same answer, events and usage as the platform fetch", async () => {
    const answers = [];
    for (const fetch of [httpFetch, globalThis.fetch]) {
      const sink = new CollectingSink();
      const turn = await engineWith(fetch).runInference(
        newTurn([newUserTextBlock("Hi")]),
        RunContext.background().withSinks(sink),
      );
      answers.push({ text: assistantText(turn), types: sink.events.map((event) => event.type) });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]?.text).toBe("one two three");
  });

  it("reads the status and headers of a retried answer (429 with retry-after), then succeeds", async () => {
    server.enqueue({ error: { status: 429, headers: { "retry-after-ms": "1", "x-request-id": "req-1" } } });
    const sink = new CollectingSink();
    const turn = await engineWith(httpFetch).runInference(
      newTurn([newUserTextBlock("Hi")]),
      RunContext.background().withSinks(sink),
    );
    expect(assistantText(turn)).toBe("one two three");
    expect(sink.events.some((event) => event.type === "status")).toBe(true);
  });

  it("gives the response's headers by name, in name order", async () => {
    const response = await httpFetch(`${server.url}/nowhere`, { method: "GET" });
    expect(response.status).toBe(404);
    expect(response.ok).toBe(false);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    const names: string[] = [];
    response.headers.forEach((_value, name) => {
      names.push(name);
    });
    expect(names).toEqual([...names].sort());
    expect(JSON.parse(await response.text())).toMatchObject({ error: { type: "not_found" } });
  });

  it("streams the body as it arrives, errors it when the connection breaks, and closes it when cancelled", async () => {
    server.enqueue({ raw: { frames: ["first ", "second"] }, pacingMs: 20, faults: { cutAfterBytes: 8 } });
    const cut = await httpFetch(`${server.baseURL()}/chat/completions`, { method: "POST", body: "{}" });
    const reader = cut.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    const failure = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        received += decoder.decode(value, { stream: true });
      }
    })().catch((error: unknown) => error);
    expect(received).toBe("first se");
    expect(failure).toBeInstanceOf(Error);

    server.enqueue({ raw: { frames: ["a", "b"] }, pacingMs: 60_000 });
    const held = await httpFetch(`${server.baseURL()}/chat/completions`, { method: "POST", body: "{}" });
    const heldReader = held.body!.getReader();
    expect(decoder.decode((await heldReader.read()).value)).toBe("a");
    await heldReader.cancel();
    expect((await heldReader.read()).done).toBe(true);
  });

  it("rejects with the signal's reason when aborted, and with TypeError('fetch failed') when refused", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(httpFetch(server.url, { signal: controller.signal })).rejects.toBe(reason);

    const closed = createServer();
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, "127.0.0.1", () => resolve((closed.address() as { port: number }).port)),
    );
    await new Promise((resolve) => closed.close(resolve));
    const refused = httpFetch(`http://127.0.0.1:${port}/`).catch((error: unknown) => error);
    const error = (await refused) as TypeError & { cause?: { code?: string } };
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("fetch failed");
    expect(error.cause?.code).toBe("ECONNREFUSED");
  });
});
