import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { providerFixturesRoot } from "../../providers/test-support.ts";
import { embeddedDefaultText } from "../embedded-default.ts";
import { loadFixture } from "./fixtures.ts";
import { type ProviderServer, startDefaultProviderServer, startProviderServer } from "./index.ts";
import { openaiChatProtocol } from "./openai-chat.ts";
import { longText, splitInto } from "./script.ts";

const PROVIDERS = fileURLToPath(providerFixturesRoot());

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

function post(body: unknown, path = "/v1/chat/completions"): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer k" },
    body: JSON.stringify(body),
  });
}

describe("provider server", () => {
  it("replays an .sse recording byte for byte and records the request", async () => {
    const path = join(PROVIDERS, "openai-chat/stream-tool-call.sse");
    server.respond({ fixture: path });
    const response = await post({ model: "m", stream: true, messages: [] });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await response.text()).toBe(readFileSync(path, "utf8"));
    expect(server.requests).toEqual([
      {
        protocol: "openai-chat",
        method: "POST",
        path: "/v1/chat/completions",
        headers: expect.objectContaining({ authorization: "Bearer k" }),
        body: { model: "m", stream: true, messages: [] },
      },
    ]);
  });

  it("frames .chunks.txt lines as data events and ends OpenAI Chat streams with [DONE]", async () => {
    const path = join(PROVIDERS, "openai-chat/stream-text-then-tool-call.chunks.txt");
    server.respond({ fixture: path });
    const text = await (await post({ stream: true })).text();
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
    expect(text).toBe(`${lines.map((line) => `data: ${line}\n\n`).join("")}data: [DONE]\n\n`);
  });

  it("serves queued answers in order, then the default, with injected statuses and headers", async () => {
    server.enqueue({ error: { status: 429, headers: { "retry-after": "1" } } });
    server.respond({ script: { text: "fine" } });
    const first = await post({});
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("1");
    await first.text();
    const second = (await (await post({})).json()) as { choices: { message: { content: string } }[] };
    expect(second.choices[0]?.message.content).toBe("fine");
  });

  it("renders scripted streams with tool calls and a usage chunk when asked", async () => {
    server.respond({
      script: {
        text: "a b",
        toolCalls: [{ name: "f", arguments: { x: 1 }, chunks: 3 }],
        usage: { inputTokens: 4 },
      },
    });
    const text = await (await post({ stream: true, stream_options: { include_usage: true } })).text();
    const events = text
      .split("\n\n")
      .filter(Boolean)
      .map((event) => event.slice(6));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    const usage = chunks.at(-1);
    expect(usage).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 2 } });
    const argumentPieces = chunks.flatMap(
      (chunk) =>
        chunk.choices[0]?.delta?.tool_calls?.map(
          (call: { function: { arguments: string } }) => call.function.arguments,
        ) ?? [],
    );
    expect(argumentPieces.join("")).toBe('{"x":1}');
    expect(argumentPieces.filter(Boolean)).toHaveLength(3);
    expect(chunks.at(-2).choices[0].finish_reason).toBe("tool_calls");
  });

  it("answers unknown routes with 404", async () => {
    const response = await post({}, "/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { message: "no protocol serves POST /nope" } });
  });

  it("closes while a stalled response is held open", async () => {
    const stalled = await startProviderServer({
      response: { script: { text: "x" }, faults: { stallAfterBytes: 10 } },
    });
    const response = await fetch(`${stalled.baseURL()}/chat/completions`, {
      method: "POST",
      body: '{"stream":true}',
    });
    const reader = response.body!.getReader();
    await reader.read();
    await stalled.close();
    await expect(reader.read()).rejects.toThrow();
  });
});

describe("fixture loading", () => {
  it("reads every openai-chat recording", () => {
    for (const name of [
      "text.json",
      "tool-call.json",
      "tool-call.httprr.txt",
      "error-unsupported-parameter.json",
    ]) {
      const reply = loadFixture(join(PROVIDERS, "openai-chat", name), openaiChatProtocol, false);
      expect(reply.frames).toHaveLength(1);
      expect(reply.status).toBe(name.startsWith("error") ? 400 : 200);
    }
  });

  it("reads NDJSON, replay and session recordings of other providers", () => {
    const jsonl = loadFixture(join(PROVIDERS, "ollama/chat-stream.jsonl"), openaiChatProtocol, true);
    expect(jsonl.headers["content-type"]).toBe("application/x-ndjson");
    expect(jsonl.frames.every((frame) => String(frame).endsWith("}\n"))).toBe(true);
    const replay = loadFixture(
      join(PROVIDERS, "gemini/stream-max-tokens.replay.json"),
      openaiChatProtocol,
      true,
    );
    expect(replay.frames).toHaveLength(3);
    const notFound = loadFixture(
      join(PROVIDERS, "gemini/stream-error-404.replay.json"),
      openaiChatProtocol,
      true,
    );
    expect(notFound.status).toBe(404);
    const session = loadFixture(
      join(PROVIDERS, "openai-responses/incomplete-max-output-tokens.session.json"),
      openaiChatProtocol,
      false,
    );
    expect(session.status).toBe(200);
    const chunked = loadFixture(join(PROVIDERS, "ollama/chat-stream.httprr.txt"), openaiChatProtocol, true);
    expect(Buffer.from(chunked.frames[0]!).toString()).toBe(
      readFileSync(join(PROVIDERS, "ollama/chat-stream.jsonl"), "utf8"),
    );
  });

  it("splits scripted text into exactly the requested pieces", () => {
    expect(splitInto("abcdefg", 3)).toEqual(["abc", "de", "fg"]);
    expect(longText(3).tokens).toEqual([" tok0", " tok1", " tok2"]);
  });
});

describe("default provider server", () => {
  it("answers any prompt like the embedded default", async () => {
    const local = await startDefaultProviderServer();
    try {
      const response = await fetch(`${local.baseURL()}/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "x", messages: [{ role: "user", content: "Hello" }] }),
      });
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]?.message.content).toBe(embeddedDefaultText("Hello"));
    } finally {
      await local.close();
    }
  });

  it("speaks OpenAI Chat (and its embeddings) only: another wire's path is not served", async () => {
    const local = await startDefaultProviderServer();
    try {
      const response = await fetch(`${local.url}/v1/messages`, {
        method: "POST",
        body: JSON.stringify({ model: "x", max_tokens: 10, messages: [{ role: "user", content: "Hello" }] }),
      });
      expect(response.status).toBe(404);
      expect(() => local.baseURL("anthropic")).toThrow(
        /unknown protocol "anthropic" \(known: openai-chat, openai-embeddings\)/,
      );
    } finally {
      await local.close();
    }
  });

  it("paces its streamed words: with a long pacing only the first frame leaves before close", async () => {
    const local = await startDefaultProviderServer({ pacingMs: 60_000 });
    let received = "";
    try {
      const response = await fetch(`${local.baseURL()}/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "x", stream: true, messages: [{ role: "user", content: "Hello" }] }),
      });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      const first = await reader.read();
      received += decoder.decode(first.value, { stream: true });
      // Closing the server resolves its pacing wait; a paced stream stops after the frame already sent.
      await local.close();
      for (;;) {
        const next = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (next.done) break;
        received += decoder.decode(next.value, { stream: true });
      }
    } finally {
      await local.close();
    }
    const events = received.split("\n\n").filter(Boolean);
    expect(events).toHaveLength(1);
    expect(received).not.toContain("[DONE]");
  });
});
