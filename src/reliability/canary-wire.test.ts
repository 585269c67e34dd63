/**
 * The canary secret scan, continued over what leaves the process on the wire: the web chat's WebSocket frames,
 * its timeline API and its SQLite files, and the messages the Redis Streams and NATS JetStream transports write
 * (read back raw from real servers started here). The same hostile provider as canary.test.ts: it echoes the
 * key in error bodies and in mid-stream error events.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { RunContext } from "../events/context.ts";
import type { EventRouter } from "../events/router.ts";
import { openSqliteTurnStore } from "../session/sqlite-turn-store.ts";
import {
  type ProviderServer,
  type RecordedRequest,
  startProviderServer,
} from "../testing/provider-server/index.ts";
import { natsHarness, redisHarness, routerOver } from "../transports/contract-support.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { buildWebChatUi } from "../webchat/build-ui.ts";
import type { Frame } from "../webchat/frames.ts";
import { startWebChatServer } from "../webchat/server.ts";
import { TimelineStore } from "../webchat/timeline.ts";
import {
  contentTypeOf,
  createTestEngine,
  ENGINE_NAMES,
  type EngineName,
  errorFrame,
  protocolOf,
} from "./test-support.ts";

const CANARY = `sk-canary-${crypto.randomUUID().replaceAll("-", "")}`;
const seen: { route: string; text: string }[] = [];
const record = (route: string, text: string): void => {
  seen.push({ route, text });
};
const folder = mkdtempSync(join(tmpdir(), "geppetto-canary-wire-"));

function keyOf(request: RecordedRequest): string {
  const header =
    request.headers.authorization ?? request.headers["x-api-key"] ?? request.headers["x-goog-api-key"];
  return header?.replace(/^Bearer /, "") ?? "";
}

function expectNoCanary(): void {
  expect(seen.length).toBeGreaterThan(0);
  const leaks = seen.filter((entry) => entry.text.includes(CANARY)).map((entry) => entry.route);
  expect(leaks).toEqual([]);
}

let server: ProviderServer;
beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

/** The hostile routes: a plain answer, a 401 body echoing the key, an error event echoing it mid-stream. */
const ROUTES = ["answer", "401 echoing the key", "error event echoing the key"] as const;

function respond(engineName: EngineName, route: (typeof ROUTES)[number]): void {
  if (route === "answer") server.respond({ script: { text: "A plain answer." } });
  else if (route === "401 echoing the key") {
    server.respond({
      handler: (request) => ({
        error: { status: 401, body: { error: { message: `Incorrect API key provided: ${keyOf(request)}` } } },
      }),
    });
  } else {
    server.respond({
      handler: (request) => ({
        raw: {
          frames: [errorFrame(engineName, `key ${keyOf(request)} is over its quota`, true)],
          contentType: contentTypeOf(engineName),
        },
      }),
    });
  }
}

const engineFor = (engineName: EngineName) =>
  createTestEngine(engineName, { baseURL: server.baseURL(protocolOf(engineName)), apiKey: CANARY });

describe("canary secret scan on the wire", () => {
  it("web chat: WebSocket frames, the timeline API and the web chat's SQLite files", async () => {
    const directory = join(folder, "webchat");
    const uiDir = join(directory, "ui");
    await buildWebChatUi(uiDir);
    const timeline = await TimelineStore.open(join(directory, "webchat.db"));
    const turnStore = await openSqliteTurnStore(join(directory, "sessions.db"));
    const chat = await startWebChatServer({
      engine: async (profile) => ({ engine: engineFor(profile as EngineName) }),
      timeline,
      turnStore,
      uiDir,
      port: 0,
    });
    try {
      for (const engineName of ENGINE_NAMES) {
        for (const route of ROUTES) {
          const where = `web chat ${engineName} ${route}`;
          const convId = crypto.randomUUID();
          timeline.createConversation(convId, where);
          const socket = new WebSocket(new URL(`/ws?conv_id=${convId}`, chat.url).href.replace("http", "ws"));
          const frames: string[] = [];
          const ended = new Promise<void>((resolve) => {
            socket.on("message", (data) => {
              frames.push(String(data));
              const message = JSON.parse(String(data)) as Frame | Frame[];
              for (const frame of Array.isArray(message) ? message : [message])
                if (["llm.final", "llm.error", "llm.cancelled"].includes(frame.type)) resolve();
            });
          });
          await new Promise<void>((resolve, reject) => {
            socket.once("open", () => resolve());
            socket.once("error", reject);
          });
          respond(engineName, route);
          const posted = await fetch(new URL("/chat", chat.url), {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ prompt: "Hello", conv_id: convId, profile: engineName }),
          });
          expect(posted.status, where).toBe(202);
          await ended;
          socket.close();
          record(`${where}: frames`, frames.join("\n"));
          const snapshot = await fetch(new URL(`/api/timeline?conv_id=${convId}&since_version=0`, chat.url));
          record(`${where}: timeline`, await snapshot.text());
        }
      }
      record("web chat: conversations", await (await fetch(new URL("/api/conversations", chat.url))).text());
      // Every answer ended in an error that names the provider's message (with the key scrubbed) at least once.
      expect(seen.some((entry) => entry.text.includes("is over its quota"))).toBe(true);
    } finally {
      await chat.close();
      timeline.close();
      await turnStore.close();
    }
    for (const file of readdirSync(directory).filter((name) => name.includes(".db")))
      record(`web chat file ${file}`, readFileSync(join(directory, file), "latin1"));
    expectNoCanary();
  }, 120_000);

  for (const harness of [redisHarness(), natsHarness()]) {
    it(`${harness.name} transport: every message written to the server`, async () => {
      await harness.setUp();
      const namespace = `canary${harness.name}`;
      let router: EventRouter | undefined;
      try {
        router = routerOver(harness.open(namespace));
        for (const engineName of ENGINE_NAMES) {
          for (const route of ROUTES) {
            respond(engineName, route);
            const ctx = RunContext.background().withSinks(router.sink("chat"));
            await engineFor(engineName)
              .runInference(newTurn([newUserTextBlock("Hello")]), ctx)
              .catch(() => undefined);
          }
        }
        await router.close();
        router = undefined;
        const messages = await readAll(harness.name, harness.server!().url, namespace);
        // The events of the answers and of the errors reached the server (in frames of several events each).
        expect(messages.some((message) => message.includes("A plain answer."))).toBe(true);
        expect(messages.some((message) => message.includes("is over its quota"))).toBe(true);
        record(`${harness.name} messages`, messages.join("\n"));
      } finally {
        await router?.close();
        await harness.tearDown();
      }
      expectNoCanary();
    }, 120_000);
  }
});

/** Every message on the server as stored there, read with the server's own client (not through geppetto). */
async function readAll(kind: string, url: string, namespace: string): Promise<string[]> {
  if (kind === "redis") {
    const { Redis } = await import("ioredis");
    const client = new Redis(url, { protocol: 2 });
    try {
      const messages: string[] = [];
      for (const key of await client.keys("*")) {
        if ((await client.type(key)) !== "stream") {
          messages.push(JSON.stringify(await client.dump(key)));
          continue;
        }
        const entries = (await client.xrange(key, "-", "+")) as [string, string[]][];
        for (const [, fields] of entries) messages.push(fields.join(" "));
      }
      return messages;
    } finally {
      client.disconnect();
    }
  }
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const connection = await connect({ servers: url });
  try {
    const manager = await jetstreamManager(connection);
    const stream = namespace.toUpperCase();
    const info = await manager.streams.info(stream);
    const messages: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await manager.streams.getMessage(stream, { seq });
      if (message) messages.push(`${message.subject} ${message.string()}`);
    }
    return messages;
  } finally {
    await connection.close();
  }
}
