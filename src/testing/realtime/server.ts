/**
 * The local realtime server of the testing kit, on one loopback HTTP server answering as scripted: the
 * OpenAI-compatible transcription and speech endpoints (for VAD-mode duplex sessions), and the OpenAI Realtime
 * (`/v1/realtime`) and Gemini Live (`BidiGenerateContent`) WebSocket protocols. WebSocket upgrades from a
 * browser page of another origin are refused; messages are limited to 16 MiB.
 */
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { loadWs } from "../../turns/lazy-require.ts";
import { type AudioEndpointOptions, type AudioRequest, serveAudio } from "./audio-endpoints.ts";
import type { RealtimeScriptOptions } from "./conversation.ts";
import { GEMINI_LIVE_PATH, serveGeminiLive } from "./gemini-live.ts";
import { type RealtimeConnectionLog, serveOpenAIRealtime } from "./openai-realtime.ts";

/**
 * Options of {@link startRealtimeServer}.
 *
 * @example
 * await startRealtimeServer({ transcribe: () => "what time is it?" });
 */
export interface RealtimeServerOptions
  extends AudioEndpointOptions,
    Omit<RealtimeScriptOptions, "transcribe"> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

/**
 * A running local realtime server. Close it in `afterAll`/`finally`.
 *
 * @example
 * const server = await startRealtimeServer();
 * const transcriber = openAITranscriber({ baseURL: server.baseURL });
 */
export interface RealtimeServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>/v1` (what OpenAI-compatible clients take). */
  readonly baseURL: string;
  /** `ws://127.0.0.1:<port>/v1/realtime` (OpenAI Realtime). */
  readonly openAIRealtimeURL: string;
  /** `ws://127.0.0.1:<port>/ws/…BidiGenerateContent` (Gemini Live). */
  readonly geminiLiveURL: string;
  /** Every transcription and speech request, in order. */
  readonly audioRequests: AudioRequest[];
  /** Every realtime connection, in order, with what it received. */
  readonly realtimeConnections: RealtimeConnectionLog[];
  /** Cuts every realtime connection at once (a provider outage, for tests). */
  dropRealtimeConnections(): void;
  close(): Promise<void>;
}

/** Timers of pacing, resolved at once when the server closes. */
class Waits {
  readonly #pending = new Map<ReturnType<typeof setTimeout>, () => void>();
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        resolve();
      }, ms);
      this.#pending.set(timer, resolve);
    });
  }
  releaseAll(): void {
    for (const [timer, resolve] of this.#pending) {
      clearTimeout(timer);
      resolve();
    }
    this.#pending.clear();
  }
}

/**
 * Starts the local realtime server on a free loopback port.
 *
 * @example
 * const server = await startRealtimeServer({ speechPacingMs: 5 });
 * try { … } finally { await server.close(); }
 */
export async function startRealtimeServer(options: RealtimeServerOptions = {}): Promise<RealtimeServer> {
  const audioRequests: AudioRequest[] = [];
  const waits = new Waits();
  // node:http (about 80 of Node's modules) loads when a server starts, not when this module is imported.
  const server: Server = process.getBuiltinModule("node:http").createServer((request, response) => {
    serveAudio(request, response, options, audioRequests, (ms) => waits.wait(ms))
      .then((served) => {
        if (!served) {
          response.writeHead(404, { "content-type": "application/json" });
          response.end(
            JSON.stringify({ error: { message: `no endpoint ${request.method} ${request.url}` } }),
          );
        }
      })
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500);
        response.end(String(error));
      });
  });
  const realtimeConnections: RealtimeConnectionLog[] = [];
  const sockets = new (loadWs().WebSocketServer)({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on("upgrade", (request, socket: Socket, head) => {
    const path = (request.url ?? "").split("?")[0]!;
    const protocol =
      path === "/v1/realtime" ? "openai-realtime" : path === GEMINI_LIVE_PATH ? "gemini-live" : undefined;
    const origin = request.headers.origin;
    const local = origin === undefined || /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(origin);
    if (!protocol || !local) {
      socket.end(
        `HTTP/1.1 ${protocol ? 403 : 404} ${protocol ? "Forbidden" : "Not Found"}\r\nconnection: close\r\n\r\n`,
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (webSocket) => {
      const log: RealtimeConnectionLog = {
        protocol,
        path: request.url ?? "",
        setup: undefined,
        received: [],
        maxBufferedBytes: 0,
        errors: [],
      };
      realtimeConnections.push(log);
      const wait = (ms: number) => waits.wait(ms);
      const beta = String(request.headers["openai-beta"] ?? "").includes("realtime=v1");
      if (protocol === "openai-realtime") serveOpenAIRealtime(webSocket, options, log, wait, beta);
      else serveGeminiLive(webSocket, options, log, wait);
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  const dropRealtimeConnections = () => {
    for (const client of sockets.clients) client.terminate();
  };
  return {
    url,
    baseURL: `${url}/v1`,
    openAIRealtimeURL: `${url.replace(/^http/, "ws")}/v1/realtime`,
    geminiLiveURL: `${url.replace(/^http/, "ws")}${GEMINI_LIVE_PATH}`,
    audioRequests,
    realtimeConnections,
    dropRealtimeConnections,
    async close() {
      dropRealtimeConnections();
      sockets.close();
      waits.releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
