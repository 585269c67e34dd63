/**
 * The web chat server over real HTTP and WebSocket (the `ws` client) on a free 127.0.0.1 port, with SQLite
 * stores in a temp folder and a scripted model.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import type { Frame, TimelineSnapshot } from "./frames.ts";
import {
  HELD_PREFIX,
  holdNextAnswer,
  LONG_ANSWER,
  startTestWebChat,
  type TestWebChat,
} from "./test-support.ts";

let chat: TestWebChat;
beforeAll(async () => {
  chat = await startTestWebChat({ pacingMs: 2 });
});
afterAll(() => chat?.dispose());

const url = (path: string) => new URL(path, chat.server.url).href;

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url(path), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function timeline(convId: string, since = 0): Promise<TimelineSnapshot> {
  return (
    await fetch(url(`/api/timeline?conv_id=${convId}&since_version=${since}`))
  ).json() as Promise<TimelineSnapshot>;
}

/** Opens a WebSocket on a conversation and collects its frames; `until` resolves on the first matching frame. */
async function follow(convId: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url(`/ws?conv_id=${convId}`).replace("http", "ws"), { headers });
  const frames: Frame[] = [];
  const waiters: { test: (frame: Frame) => boolean; resolve: () => void }[] = [];
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as Frame | Frame[];
    for (const frame of Array.isArray(message) ? message : [message]) {
      frames.push(frame);
      for (const waiter of [...waiters]) if (waiter.test(frame)) waiter.resolve();
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return {
    frames,
    until: (test: (frame: Frame) => boolean) =>
      new Promise<void>((resolve) => {
        if (frames.some(test)) resolve();
        else waiters.push({ test, resolve });
      }),
    close: () => socket.close(),
  };
}

/** Starts a conversation and waits until its first answer is done. */
async function converse(prompt: string): Promise<string> {
  const response = await post("/chat", { prompt });
  const { conv_id: convId } = (await response.json()) as { conv_id: string };
  await vi.waitFor(async () => {
    const answer = (await timeline(convId)).entities.find((entity) => entity.kind === "assistant");
    expect(answer?.status).toBe("done");
  });
  return convId;
}

/** The status of a refused WebSocket upgrade. */
function refusedUpgrade(path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url(path).replace("http", "ws"), { headers });
    socket.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
    socket.on("open", () => reject(new Error("the upgrade was accepted")));
  });
}

describe("the web chat server", () => {
  it("streams frames that address one entity per answer and hydrates the current state, not a replay", async () => {
    const first = await post("/chat", { prompt: "long answer" });
    expect(first.status).toBe(202);
    const { conv_id: convId } = (await first.json()) as { conv_id: string };
    expect(convId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const socket = await follow(convId);
    await socket.until((frame) => frame.type === "llm.final");
    socket.close();
    const seqs = socket.frames.map((frame) => frame.seq);
    expect(seqs).toEqual(seqs.map((_, index) => seqs[0]! + index));
    const answerFrames = socket.frames.filter((frame) => frame.type.startsWith("llm."));
    expect(new Set(answerFrames.map((frame) => frame.id)).size).toBe(1);
    expect(answerFrames.at(-1)).toMatchObject({ type: "llm.final", status: "done", text: LONG_ANSWER });

    const snapshot = await timeline(convId);
    expect(snapshot.version).toBe(seqs.at(-1));
    expect(snapshot.entities.map((entity) => [entity.kind, entity.status, entity.text])).toEqual([
      ["user", "done", "long answer"],
      ["assistant", "done", LONG_ANSWER],
    ]);
    expect(snapshot.entities[1]!.data).toMatchObject({
      usage: { inputTokens: 12, outputTokens: 34 },
      cost: 0.000046,
      model: "scripted-test",
    });
    expect((await timeline(convId, snapshot.version)).entities).toEqual([]);
    const { conversations } = (await (await fetch(url("/api/conversations"))).json()) as {
      conversations: { convId: string }[];
    };
    expect(conversations[0]!.convId).toBe(convId);
  });

  it("refuses a second prompt while an answer runs (409), and Stop keeps the partial answer as cancelled", async () => {
    holdNextAnswer();
    const { conv_id: convId } = (await (await post("/chat", { prompt: "held one" })).json()) as {
      conv_id: string;
    };
    const socket = await follow(convId);
    await vi.waitFor(async () => {
      const answer = (await timeline(convId)).entities.find((entity) => entity.kind === "assistant");
      expect(answer?.text).toBe(HELD_PREFIX);
    });
    const busy = await post("/chat", { prompt: "again", conv_id: convId });
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ code: "busy" });
    expect(await (await post("/chat/cancel", { conv_id: convId })).json()).toEqual({ cancelled: true });
    await socket.until((frame) => frame.status === "cancelled");
    socket.close();
    const entities = (await timeline(convId)).entities;
    expect(entities.map((entity) => [entity.kind, entity.status, entity.text])).toEqual([
      ["user", "done", "held one"],
      ["assistant", "cancelled", HELD_PREFIX],
    ]);
  });

  it("shows tool calls as one entity from start to result", async () => {
    const convId = await converse("What is 6 * 7?");
    const tool = (await timeline(convId)).entities.find((entity) => entity.kind === "tool")!;
    expect(tool).toMatchObject({
      status: "done",
      data: {
        name: "calculator",
        args: { expression: "6 * 7" },
        result: { expression: "6 * 7", result: 42 },
      },
    });
    expect(tool.id).toMatch(/^tool:/);
  });

  it("answers bad requests with a status and a message naming what was wrong", async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [post("/chat", { prompt: "" }), 400, /"prompt" must be a non-empty string/],
      [post("/chat", "{not json"), 400, /not JSON/],
      [post("/chat", "[1]"), 400, /must be a JSON object/],
      [post("/chat", { prompt: "x".repeat(70_000) }), 413, /exceeds 65536 bytes/],
      [post("/chat", { prompt: "Hi", conv_id: "nope" }), 404, /no conversation "nope"/],
      [post("/chat", { prompt: "Hi" }, { "content-type": "text/plain" }), 415, /must be JSON/],
      [post("/chat/cancel", {}), 400, /"conv_id" must be a non-empty string/],
      [fetch(url("/api/timeline?conv_id=nope")), 404, /no conversation "nope"/],
      [fetch(url("/api/timeline?conv_id=x&since_version=-1")), 400, /"since_version"/],
      [fetch(url("/etc/passwd")), 404, /no route GET \/etc\/passwd/],
    ];
    for (const [response, status, message] of cases) {
      const answer = await response;
      expect(answer.status).toBe(status);
      expect(((await answer.json()) as { error: string }).error).toMatch(message);
    }
    expect(await refusedUpgrade("/ws?conv_id=nope")).toBe(404);
  });

  it("refuses a foreign Origin (WebSocket and POST) and a non-loopback Host", async () => {
    const convId = await converse("Hello");
    expect(await refusedUpgrade(`/ws?conv_id=${convId}`, { origin: "http://evil.example" })).toBe(403);
    const page = new URL(chat.server.url).origin;
    const allowed = await follow(convId, { origin: page });
    allowed.close();
    const forged = await post("/chat", { prompt: "Hi", conv_id: convId }, { origin: "http://evil.example" });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: string }).error).toMatch(/Origin "http:\/\/evil.example"/);
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve) => {
      request(url("/api/conversations"), { headers: { host: "rebind.example" } }, (response) =>
        resolve(response.statusCode ?? 0),
      ).end();
    });
    expect(status).toBe(403);
  });

  it("says so when its port is taken", async () => {
    await expect(startTestWebChat({ port: chat.server.port })).rejects.toMatchObject({
      code: "webchat_port_in_use",
      message: expect.stringMatching(/port \d+ on 127\.0\.0\.1 is in use/),
    });
  });

  it("serves the UI with a Content-Security-Policy that allows no inline script", async () => {
    const page = await fetch(url("/"));
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('aria-label="Message"');
    expect((await fetch(url("/app.js"))).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  });
});

describe("the web chat server off loopback", () => {
  it("refuses to start without a token", async () => {
    await expect(startTestWebChat({ host: "0.0.0.0" })).rejects.toMatchObject({
      code: "webchat_token_required",
    });
  });

  it("requires the token on every route and on the WebSocket", async () => {
    const guarded = await startTestWebChat({ host: "0.0.0.0", authToken: "s3cret-token", pacingMs: 0 });
    try {
      const base = `http://127.0.0.1:${guarded.server.port}`;
      expect((await fetch(`${base}/api/conversations`)).status).toBe(401);
      expect((await fetch(`${base}/`)).status).toBe(401);
      expect(
        (await fetch(`${base}/api/conversations`, { headers: { authorization: "Bearer wrong" } })).status,
      ).toBe(401);
      const page = await fetch(`${base}/?token=s3cret-token`);
      expect(page.status).toBe(200);
      const cookie = page.headers.get("set-cookie")!;
      expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
      const withCookie = await fetch(`${base}/api/conversations`, {
        headers: { cookie: cookie.split(";")[0]! },
      });
      expect(withCookie.status).toBe(200);
      const started = await fetch(`${base}/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer s3cret-token" },
        body: JSON.stringify({ prompt: "Hello" }),
      });
      const { conv_id: convId } = (await started.json()) as { conv_id: string };
      const refused = await new Promise<number>((resolve) => {
        new WebSocket(`ws://127.0.0.1:${guarded.server.port}/ws?conv_id=${convId}`).on(
          "unexpected-response",
          (_request, response) => resolve(response.statusCode ?? 0),
        );
      });
      expect(refused).toBe(401);
      const socket = new WebSocket(
        `ws://127.0.0.1:${guarded.server.port}/ws?conv_id=${convId}&token=s3cret-token`,
      );
      await new Promise((resolve, reject) => {
        socket.once("open", resolve);
        socket.once("error", reject);
      });
      socket.close();
    } finally {
      await guarded.dispose();
    }
  });
});

describe("after a crash", () => {
  it("marks what a killed server left streaming as cancelled when the conversation opens again", async () => {
    const crashed = await startTestWebChat({ pacingMs: 0 });
    try {
      await crashed.stop();
      const { TimelineStore } = await import("./timeline.ts");
      const { join } = await import("node:path");
      const timeline = await TimelineStore.open(join(crashed.directory, "webchat.db"));
      timeline.createConversation("cut", "Cut off");
      timeline.apply("cut", { type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" });
      timeline.apply("cut", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "half an ans" });
      timeline.close(); // as a killed process leaves it
      await crashed.restart();
      const socket = new WebSocket(new URL("/ws?conv_id=cut", crashed.server.url).href.replace("http", "ws"));
      await new Promise((resolve) => socket.once("open", resolve));
      socket.close();
      const snapshot = (await (
        await fetch(new URL("/api/timeline?conv_id=cut", crashed.server.url))
      ).json()) as TimelineSnapshot;
      expect(snapshot.entities).toMatchObject([{ id: "msg:1", status: "cancelled", text: "half an ans" }]);
    } finally {
      await crashed.dispose();
    }
  });
});

describe("the queue busy policy", () => {
  it("answers a prompt sent while an answer is written after it, with the first answer in its context", async () => {
    const queued = await startTestWebChat({ busyPolicy: "queue", pacingMs: 0 });
    try {
      const release = holdNextAnswer();
      const send = (body: Record<string, string>) =>
        fetch(new URL("/chat", queued.server.url), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const first = await send({ prompt: "held first" });
      const { conv_id: convId } = (await first.json()) as { conv_id: string };
      expect((await send({ prompt: "second", conv_id: convId })).status).toBe(202);
      release();
      await vi.waitFor(async () => {
        const snapshot = (await (
          await fetch(new URL(`/api/timeline?conv_id=${convId}`, queued.server.url))
        ).json()) as TimelineSnapshot;
        expect(snapshot.entities.map((entity) => [entity.kind, entity.status])).toEqual([
          ["user", "done"],
          ["assistant", "done"],
          ["user", "done"],
          ["assistant", "done"],
        ]);
      });
      const secondInput = queued.engine.inputs[1]!;
      expect(secondInput.blocks.map((block) => block.kind)).toEqual(["user", "llm_text", "user"]);
    } finally {
      await queued.dispose();
    }
  });
});

describe("dead sockets", () => {
  it("are closed when they miss a ping, so their conversation can go idle", async () => {
    const pinged = await startTestWebChat({ heartbeatMs: 20, idleMs: 20, pacingMs: 0 });
    try {
      const response = await fetch(new URL("/chat", pinged.server.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "Hello" }),
      });
      const { conv_id: convId } = (await response.json()) as { conv_id: string };
      const url = new URL(`/ws?conv_id=${convId}`, pinged.server.url).href.replace("http", "ws");
      const deaf = new WebSocket(url, { autoPong: false });
      const closed = new Promise<number>((resolve) => deaf.once("close", (code) => resolve(code)));
      await new Promise((resolve) => deaf.once("open", resolve));
      expect(await closed).toBe(1006);
      await vi.waitFor(() => expect(pinged.server.openConversations()).toBe(0));
    } finally {
      await pinged.dispose();
    }
  });
});

describe("idle conversations", () => {
  it("are closed after the idle time; their timeline stays and they continue with their history", async () => {
    const idle = await startTestWebChat({ idleMs: 30, pacingMs: 0 });
    try {
      const response = await fetch(new URL("/chat", idle.server.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "first" }),
      });
      const { conv_id: convId } = (await response.json()) as { conv_id: string };
      await vi.waitFor(() => expect(idle.server.openConversations()).toBe(0));
      const snapshot = (await (
        await fetch(new URL(`/api/timeline?conv_id=${convId}`, idle.server.url))
      ).json()) as TimelineSnapshot;
      expect(snapshot.entities.map((entity) => entity.status)).toEqual(["done", "done"]);
      await fetch(new URL("/chat", idle.server.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "second", conv_id: convId }),
      });
      await vi.waitFor(() => expect(idle.engine.calls).toBe(2));
      expect(idle.engine.inputs[1]!.blocks.filter((block) => block.kind === "user")).toHaveLength(2);
    } finally {
      await idle.dispose();
    }
  });
});
