/**
 * The web chat server: node:http for the routes and `ws` for the WebSocket (the de-facto WebSocket library of
 * Node, no dependencies of its own; the handful of routes need no router).
 *
 * Routes: `POST /chat` (prompt, conv_id?, profile?), `POST /chat/cancel` (conv_id), `POST /chat/approve`
 * (conv_id, call_id, approved: a decision on a call of a `needsApproval` tool, relayed to the instance running
 * the answer when it runs on another), `GET /api/conversations`,
 * `GET /api/timeline?conv_id=&since_version=`, `GET /ws?conv_id=` (frames: each message is one frame, or a JSON
 * array of the frames of the last 16 ms, in order), and the built UI at `/`.
 * Loopback by default; on any other address a token is required on every route and on the WebSocket upgrade.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { CallerError, GeppettoError } from "../engine/errors.ts";
import type { BusyPolicy } from "../session/session.ts";
import type { TurnStore } from "../session/turn-store.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import { randomUUID } from "../turns/lazy-require.ts";
import { type ConversationDependencies, type WebChatEngine, WebConversation } from "./conversation.ts";
import type { Frame } from "./frames.ts";
import {
  checkHostAndOrigin,
  HttpError,
  isLoopbackHost,
  presentedToken,
  readJsonBody,
  SECURITY_HEADERS,
  sendJson,
  stringField,
  TOKEN_COOKIE,
  tokenMatches,
} from "./http.ts";
import type { WebChatRelay } from "./relay.ts";
import type { WebChatTimeline } from "./shared-timeline.ts";
import { loadStaticFiles, type StaticFiles } from "./static.ts";
import { defaultTranslations, type TranslationRegistry } from "./translation.ts";

/** How long a socket gathers frames before sending them as one message. */
const SEND_INTERVAL_MS = 16;

/** The port `geppetto webchat` listens on by default. */
export const DEFAULT_WEBCHAT_PORT = 8765;

/** Options of {@link startWebChatServer}. */
export interface WebChatServerOptions {
  /** The engine every prompt runs on, or a function choosing one per prompt from its `profile`. */
  engine: WebChatEngine | ((profile: string | undefined) => Promise<WebChatEngine>);
  /** Where conversations and their entities are kept (SQLite's TimelineStore, or one several instances share). */
  timeline: WebChatTimeline;
  /**
   * Links this instance to the others sharing its timeline (a shared database and a transport): their answers
   * stream to this instance's browsers, and Stop pressed here stops an answer running there.
   */
  relay?: WebChatRelay;
  /** How long a run lease lasts unless renewed (shared timelines): an instance silent this long died. Default 10 s. */
  leaseMs?: number;
  /** Where turns are saved, so a conversation's model context survives a restart. */
  turnStore?: TurnStore;
  /**
   * Tools the model may call (the tool loop runs, at most 5 inferences per prompt). A call of a tool marked
   * `needsApproval` waits for Approve or Deny on the page.
   */
  tools?: ToolRegistry;
  /** Event → frame translations (default {@link defaultTranslations}). */
  translations?: TranslationRegistry;
  /** What a prompt sent while an answer is being written does (default `reject`: 409, the UI says so). */
  busyPolicy?: BusyPolicy;
  /** Default 127.0.0.1. Any non-loopback address requires `authToken`. */
  host?: string;
  /** Default {@link DEFAULT_WEBCHAT_PORT}; 0 picks a free one. */
  port?: number;
  /** Required on every route and on the WebSocket when set (and always when `host` is not loopback). */
  authToken?: string;
  /** Conversations unused this long (no answer running, no WebSocket) are closed; default 15 minutes. */
  idleMs?: number;
  /** How often WebSockets are pinged; one that did not answer the previous ping is closed. Default 30 s. */
  heartbeatMs?: number;
  /** The largest request body accepted; default 64 KiB. */
  maxBodyBytes?: number;
  /** The built UI (default: the one shipped in the package). */
  uiDir?: string;
}

/** A running web chat server. */
export interface WebChatServer {
  /** `http://host:port/` */
  readonly url: string;
  readonly port: number;
  /** How many conversations are open in memory. */
  openConversations(): number;
  /** Cancels running answers (their partial text is kept), closes every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the web chat server.
 *
 * @example
 * const server = await startWebChatServer({
 *   engine: { engine: createEmbeddedDefaultEngine({ pacingMs: 15 }) },
 *   timeline: await TimelineStore.open("./webchat.db"),
 *   port: 0,
 * });
 * console.log(server.url);
 */
export async function startWebChatServer(options: WebChatServerOptions): Promise<WebChatServer> {
  const host = options.host ?? "127.0.0.1";
  const loopbackOnly = isLoopbackHost(host);
  const token = options.authToken;
  if (!loopbackOnly && !token) {
    throw new CallerError(
      `the web chat binds to ${host}, which is not a loopback address: set a token (--auth-token or GEPPETTO_WEBCHAT_TOKEN)`,
      { code: "webchat_token_required" },
    );
  }
  const { WebSocketServer } = await import("ws");
  const files: StaticFiles = await loadStaticFiles(options.uiDir);
  const limit = options.maxBodyBytes ?? 64 * 1024;
  const idleMs = options.idleMs ?? 15 * 60_000;
  const timeline = options.timeline;
  const relay = options.relay;
  const runs = timeline.runs;
  const instanceId = relay?.instanceId ?? randomUUID();
  const leaseMs = options.leaseMs ?? 10_000;
  const dependencies: ConversationDependencies = {
    timeline,
    ...(relay ? { onFrame: relayAfterWrite(relay, timeline) } : {}),
    translations: options.translations ?? defaultTranslations(),
    busyPolicy: options.busyPolicy ?? "reject",
    ...(options.turnStore ? { turnStore: options.turnStore } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
  };
  const conversations = new Map<string, Promise<WebConversation>>();
  const running = new Set<Promise<void>>();
  const chooseEngine =
    typeof options.engine === "function" ? options.engine : async () => options.engine as WebChatEngine;

  async function conversation(convId: string): Promise<WebConversation> {
    let opened = conversations.get(convId);
    if (!opened) {
      opened = (async () => {
        if (!(await timeline.conversation(convId))) {
          throw new HttpError(404, "no_conversation", `no conversation "${convId}"`);
        }
        await timeline.prepare?.(convId);
        const settleUnfinished = !(await runs?.heldElsewhere(convId, instanceId));
        return WebConversation.open(convId, dependencies, { settleUnfinished });
      })();
      conversations.set(convId, opened);
      opened.catch(() => conversations.delete(convId));
    }
    return opened;
  }

  /** Takes the conversation's run lease (shared timelines), reloading what another instance wrote before. */
  async function claimRun(live: WebConversation): Promise<void> {
    if (!runs || live.isRunning()) return;
    if (!(await runs.claim(live.convId, instanceId, leaseMs))) {
      throw new HttpError(
        409,
        "busy",
        "an answer is being written on another instance: wait for it or press Stop",
      );
    }
    await timeline.prepare?.(live.convId, { refresh: true });
    await live.reloadHistory();
  }

  async function postChat(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJsonBody(request, limit);
    const prompt = stringField(body, "prompt")!;
    const requestedId = stringField(body, "conv_id", { optional: true });
    const profile = stringField(body, "profile", { optional: true });
    if (requestedId !== undefined) await conversation(requestedId);
    let engine: WebChatEngine;
    try {
      engine = await chooseEngine(profile);
    } catch (error) {
      throw new HttpError(400, "bad_profile", error instanceof Error ? error.message : String(error));
    }
    const convId = requestedId ?? randomUUID();
    if (requestedId === undefined) await timeline.createConversation(convId, prompt.trim());
    const live = await conversation(convId);
    await claimRun(live);
    try {
      const started = live.start(prompt, engine);
      const done = started.done.then(async () => {
        if (!runs || live.isRunning()) return;
        await timeline.flush();
        await runs.end(convId, instanceId);
      });
      running.add(done);
      done.finally(() => running.delete(done)).catch(() => {});
      sendJson(response, 202, { conv_id: convId, turn_id: started.turnId });
    } catch (error) {
      if (GeppettoError.is(error) && error.code === "session_busy") {
        throw new HttpError(409, "busy", "an answer is still being written: wait for it or press Stop");
      }
      throw error;
    }
  }

  async function route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const key = `${request.method} ${url.pathname}`;
    if (key === "POST /chat") return postChat(request, response);
    if (key === "POST /chat/cancel") {
      const convId = stringField(await readJsonBody(request, limit), "conv_id")!;
      const live = await conversation(convId);
      if (live.cancel()) return sendJson(response, 200, { cancelled: true });
      if (!relay || !runs) return sendJson(response, 200, { cancelled: false });
      relay.publishCancel(convId); // the instance running it stops it; its frames say so
      return sendJson(response, 200, { cancelled: await runs.heldElsewhere(convId, instanceId) });
    }
    if (key === "POST /chat/approve") {
      const body = await readJsonBody(request, limit);
      const callId = stringField(body, "call_id")!;
      if (typeof body.approved !== "boolean") {
        throw new HttpError(400, "bad_request", '"approved" must be true or false');
      }
      const convId = stringField(body, "conv_id")!;
      const live = await conversation(convId);
      if (live.approve(callId, body.approved)) return sendJson(response, 200, { decided: true });
      // The answer may run on another instance: the call waits there (the first decision wins).
      if (relay && runs && !live.isRunning() && (await runs.heldElsewhere(convId, instanceId))) {
        if (await relay.requestApproval(convId, callId, body.approved)) {
          return sendJson(response, 200, { decided: true });
        }
      }
      throw new HttpError(404, "no_approval", `no call "${callId}" is waiting for approval`);
    }
    if (key === "GET /api/conversations") {
      return sendJson(response, 200, { conversations: await timeline.listConversations() });
    }
    if (key === "GET /api/timeline") {
      const convId = url.searchParams.get("conv_id") ?? "";
      const since = Number(url.searchParams.get("since_version") ?? 0);
      if (!Number.isSafeInteger(since) || since < 0) {
        throw new HttpError(400, "bad_request", '"since_version" must be a non-negative integer');
      }
      if (!(await timeline.conversation(convId))) {
        throw new HttpError(404, "no_conversation", `no conversation "${convId}"`);
      }
      return sendJson(response, 200, await timeline.snapshot(convId, since));
    }
    if (request.method === "GET" || request.method === "HEAD") {
      const file = files.get(url.pathname === "/" ? "/index.html" : url.pathname);
      if (file) {
        const headers: Record<string, string | number> = { ...SECURITY_HEADERS, ...file.headers };
        const presented = url.searchParams.get("token");
        if (token && presented && tokenMatches(presented, token)) {
          headers["set-cookie"] =
            `${TOKEN_COOKIE}=${encodeURIComponent(presented)}; HttpOnly; SameSite=Strict; Path=/`;
        }
        response.writeHead(200, headers);
        response.end(request.method === "HEAD" ? undefined : file.body);
        return;
      }
    }
    throw new HttpError(404, "not_found", `no route ${request.method} ${url.pathname}`);
  }

  function guard(request: IncomingMessage): URL {
    const url = new URL(request.url ?? "/", "http://webchat.invalid");
    checkHostAndOrigin(request, loopbackOnly);
    if (token && !tokenMatches(presentedToken(request, url), token)) {
      throw new HttpError(
        401,
        "unauthorized",
        "a valid token is required (Authorization: Bearer, or ?token=)",
      );
    }
    return url;
  }

  // node:http (about 80 of Node's modules) loads when a server starts, not when this module is imported.
  const server = process.getBuiltinModule("node:http").createServer((request, response) => {
    let url: URL;
    try {
      url = guard(request);
    } catch (error) {
      return fail(response, error);
    }
    route(request, response, url).catch((error: unknown) => fail(response, error));
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  // A socket that did not answer the previous ping is dead (a closed laptop): dropping it lets its
  // conversation become idle and close.
  const alive = new WeakSet<object>();
  // A socket sends what came in the last 16 ms (one screen frame) as one message: a streamed answer costs a
  // write per batch, not a write per token.
  sockets.on("connection", (socket, live: WebConversation) => {
    let pending: string[] = [];
    const send = () => {
      const batch = pending;
      pending = [];
      if (socket.readyState !== socket.OPEN) return;
      // A client this far behind reconnects and hydrates instead of growing the server's memory.
      if (socket.bufferedAmount > 8 * 1024 * 1024) socket.close(1013, "too far behind: hydrate again");
      else socket.send(batch.length === 1 ? batch[0]! : `[${batch.join(",")}]`);
    };
    const stop = live.listen((_frame, json) => {
      if (pending.push(json) === 1) setTimeout(send, SEND_INTERVAL_MS);
    });
    socket.on("close", stop);
    alive.add(socket);
    socket.on("pong", () => alive.add(socket));
  });
  const heartbeat = setInterval(() => {
    for (const client of sockets.clients) {
      if (!alive.has(client)) client.terminate();
      else {
        alive.delete(client);
        client.ping();
      }
    }
  }, options.heartbeatMs ?? 30_000).unref();
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    let url: URL;
    try {
      url = guard(request);
      if (url.pathname !== "/ws") throw new HttpError(404, "not_found", `no WebSocket at ${url.pathname}`);
    } catch (error) {
      return refuseUpgrade(socket, error);
    }
    conversation(url.searchParams.get("conv_id") ?? "").then(
      (live) => sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit("connection", ws, live)),
      (error: unknown) => refuseUpgrade(socket, error),
    );
  });

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [convId, opened] of conversations) {
        opened.then(
          (live) => {
            if (live.isRunning() || live.listenerCount > 0 || now - live.lastActive < idleMs) return;
            if (conversations.get(convId) !== opened) return;
            conversations.delete(convId);
            void Promise.resolve(timeline.release(convId)).catch(() => {});
          },
          () => {},
        );
      }
    },
    Math.max(10, Math.min(idleMs / 2, 30_000)),
  ).unref();

  // Shared timelines: keep this instance's leases alive, and end what an instance that died left streaming.
  const leases = runs
    ? setInterval(
        () => {
          void runs.renew(instanceId, leaseMs).catch(() => {});
          void runs.takeExpired().then(
            (expired) => {
              for (const convId of expired) {
                conversation(convId).then(
                  (live) => live.interrupt(),
                  () => {},
                );
              }
            },
            () => {},
          );
        },
        Math.max(50, leaseMs / 3),
      ).unref()
    : undefined;
  relay?.start({
    frame(frame) {
      timeline.observe?.(frame);
      conversations.get(frame.convId)?.then(
        (live) => live.relay(frame),
        () => {},
      );
    },
    cancel(convId) {
      conversations.get(convId)?.then(
        (live) => live.cancel(),
        () => {},
      );
    },
    async approve(convId, callId, approved) {
      const live = await conversations.get(convId)?.catch(() => undefined);
      if (!live) return undefined;
      if (live.approve(callId, approved)) return true;
      return live.isRunning() ? false : undefined; // not running here: another instance answers
    },
  });

  const wanted = options.port ?? DEFAULT_WEBCHAT_PORT;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(wanted, host, () => resolve());
    });
  } catch (error) {
    clearInterval(sweep);
    clearInterval(heartbeat);
    clearInterval(leases);
    await relay?.close();
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    throw new CallerError(
      `port ${wanted} on ${host} is in use: choose another (--port N), or 0 for a free one`,
      {
        code: "webchat_port_in_use",
        cause: error,
      },
    );
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    openConversations: () => conversations.size,
    async close() {
      clearInterval(sweep);
      clearInterval(heartbeat);
      clearInterval(leases);
      await relay?.close();
      for (const opened of conversations.values()) (await opened.catch(() => undefined))?.cancel();
      await Promise.all(running);
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await timeline.flush();
    },
  };
}

function fail(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof HttpError) {
    sendJson(response, error.status, { error: error.message, code: error.code });
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  sendJson(response, 500, { error: message, code: GeppettoError.is(error) ? error.code : "internal" });
}

function refuseUpgrade(socket: Duplex, error: unknown): void {
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : "Refused"}\r\n` +
      `content-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n${message}\n`,
  );
}

/**
 * Sends this instance's frames to the others. An approval request is a frame nothing follows until someone
 * decides, and a page opened on another instance could miss it both ways: its socket opened after the relayed
 * frame, and its snapshot read the shared store before this instance's delayed write of a streaming entity. So
 * the request is written to the store first and relayed after; frames behind it wait, to stay in order.
 */
function relayAfterWrite(relay: WebChatRelay, timeline: WebChatTimeline): (frame: Frame) => void {
  let waiting = 0;
  let tail: Promise<void> = Promise.resolve();
  return (frame) => {
    const writeFirst = frame.kind === "approval";
    if (waiting === 0 && !writeFirst) return relay.publishFrame(frame);
    waiting++;
    tail = tail
      .then(async () => {
        if (writeFirst) await Promise.resolve(timeline.flush()).catch(() => {});
        relay.publishFrame(frame);
      })
      .finally(() => {
        waiting--;
      });
  };
}
