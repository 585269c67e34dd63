/**
 * The local realtime server of the testing kit: the OpenAI-compatible transcription and speech endpoints (for
 * VAD-mode duplex sessions) on one loopback HTTP server, answering as scripted.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type AudioEndpointOptions, type AudioRequest, serveAudio } from "./audio-endpoints.ts";

/**
 * Options of {@link startRealtimeServer}.
 *
 * @example
 * await startRealtimeServer({ transcribe: () => "what time is it?" });
 */
export interface RealtimeServerOptions extends AudioEndpointOptions {
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
  /** Every transcription and speech request, in order. */
  readonly audioRequests: AudioRequest[];
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
  const server: Server = createServer((request, response) => {
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
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    audioRequests,
    async close() {
      waits.releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
