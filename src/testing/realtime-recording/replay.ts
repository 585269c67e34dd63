/**
 * The replay server: serves a recorded realtime session over a real WebSocket on 127.0.0.1. Each connection
 * replays the recording from its start: recorded server messages are sent in order, and each recorded client
 * message is awaited and matched by type (see {@link messageType}). A client that sends something else gets a
 * protocol error event naming the line, the expected and the received types, and the connection closes.
 */
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type WebSocket from "ws";
import { loadWs } from "../../turns/lazy-require.ts";
import { GEMINI_LIVE_PATH } from "../realtime/gemini-live.ts";
import { messageType, parseRecording, type RealtimeRecording, type RecordedMessage } from "./format.ts";

/** `node:fs/promises`, loaded on first use (an `import` of it loads streams: about 15 of Node's modules). */
const fsPromises = () => process.getBuiltinModule("node:fs/promises");

/**
 * Options of {@link startReplayServer}.
 *
 * @example
 * await startReplayServer({ recording: "fixtures/realtime/greeting.realtime.jsonl" });
 */
export interface ReplayServerOptions {
  /** A parsed recording, or the path of a recording file. */
  recording: RealtimeRecording | string;
  /** Keep the recorded gaps before server messages (default false: send at once). */
  pace?: boolean;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

/**
 * Where a client left the recording.
 *
 * @example
 * expect(replay.divergences).toEqual([]);
 */
export interface ReplayDivergence {
  /** The line of the recording file (or the message's 1-based position when the recording was not a file). */
  line: number;
  /** The type the recording expected (`(end of recording)` when it had no more client messages). */
  expected: string;
  received: string;
  message: string;
}

/**
 * A running replay server.
 *
 * @example
 * const replay = await startReplayServer({ recording: file });
 * geminiLiveMode({ url: replay.geminiLiveURL, model: "gemini-live-2.5-flash-preview" });
 */
export interface ReplayServer {
  /** `ws://127.0.0.1:<port>/v1/realtime` (for an OpenAI Realtime recording). */
  readonly openAIRealtimeURL: string;
  /** `ws://127.0.0.1:<port>/ws/…BidiGenerateContent` (for a Gemini Live recording). */
  readonly geminiLiveURL: string;
  /** Every divergence, in order. */
  readonly divergences: ReplayDivergence[];
  /** How many connections replayed the whole recording. */
  readonly completed: number;
  close(): Promise<void>;
}

function errorEvent(recording: RealtimeRecording, message: string): string {
  return JSON.stringify(
    recording.header.protocol === "openai-realtime"
      ? {
          type: "error",
          event_id: "event_replay_divergence",
          error: { type: "invalid_request_error", code: "replay_divergence", message },
        }
      : { error: { code: 400, status: "FAILED_PRECONDITION", message } },
  );
}

/** One connection's replay: a cursor over the recording and a queue of what the client sent. */
class Replay {
  readonly #recording: RealtimeRecording;
  readonly #socket: WebSocket;
  readonly #pace: boolean;
  readonly #received: { type: string }[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(recording: RealtimeRecording, socket: WebSocket, pace: boolean) {
    this.#recording = recording;
    this.#socket = socket;
    this.#pace = pace;
    socket.on("message", (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const message: RecordedMessage = isBinary
        ? { direction: "client", timeMs: 0, binary: "" }
        : { direction: "client", timeMs: 0, text: bytes.toString("utf8") };
      this.#received.push({ type: messageType(message) });
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  async #next(): Promise<{ type: string } | undefined> {
    while (this.#received.length === 0 && !this.#closed) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
    return this.#received.shift();
  }

  #line(index: number): number {
    return this.#recording.lines?.[index] ?? index + 1;
  }

  #diverge(line: number, expected: string, received: string): ReplayDivergence {
    const message = `replay diverged at line ${line} of the recording: expected a client message of type "${expected}", received "${received}"`;
    if (this.#socket.readyState === this.#socket.OPEN) {
      this.#socket.send(errorEvent(this.#recording, message));
      this.#socket.close(1008, `replay diverged at line ${line}`);
    }
    return { line, expected, received, message };
  }

  /** Resolves with the divergence, or `undefined` when the recording was replayed (or the client left). */
  async run(): Promise<ReplayDivergence | "completed" | undefined> {
    const { messages } = this.#recording;
    for (let index = 0; index < messages.length; index++) {
      const recorded = messages[index]!;
      if (recorded.direction === "server") {
        const gap = recorded.timeMs - (messages[index - 1]?.timeMs ?? 0);
        if (this.#pace && gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
        if (this.#closed) return undefined;
        if (recorded.binary !== undefined) this.#socket.send(Buffer.from(recorded.binary, "base64"));
        else this.#socket.send(recorded.text ?? "");
        continue;
      }
      const received = await this.#next();
      if (!received) return undefined;
      const expected = messageType(recorded);
      if (received.type !== expected) return this.#diverge(this.#line(index), expected, received.type);
    }
    const extra = await this.#next();
    if (!extra) return "completed";
    return this.#diverge(this.#line(messages.length - 1) + 1, "(end of recording)", extra.type);
  }
}

/**
 * Starts a replay server for one recording on a free loopback port. Only the recording's protocol path is served.
 *
 * @example
 * const replay = await startReplayServer({ recording: "fixtures/realtime/tool-call.realtime.jsonl" });
 * try { … } finally { await replay.close(); }
 */
export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const recording =
    typeof options.recording === "string"
      ? parseRecording(await fsPromises().readFile(options.recording, "utf8"), options.recording)
      : options.recording;
  const path = recording.header.protocol === "openai-realtime" ? "/v1/realtime" : GEMINI_LIVE_PATH;
  const divergences: ReplayDivergence[] = [];
  let completed = 0;
  // node:http (about 80 of Node's modules) loads when a server starts, not when this module is imported.
  const server: Server = process.getBuiltinModule("node:http").createServer((_request, response) => {
    response.writeHead(404).end();
  });
  const sockets = new (loadWs().WebSocketServer)({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on("upgrade", (request, socket: Socket, head) => {
    const origin = request.headers.origin;
    const local = origin === undefined || /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(origin);
    if ((request.url ?? "").split("?")[0] !== path || !local) {
      socket.end(`HTTP/1.1 ${local ? "404 Not Found" : "403 Forbidden"}\r\nconnection: close\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (webSocket) => {
      new Replay(recording, webSocket, options.pace ?? false).run().then((outcome) => {
        if (outcome === "completed") completed++;
        else if (outcome) divergences.push(outcome);
      });
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const { port } = server.address() as AddressInfo;
  const base = `ws://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    openAIRealtimeURL: `${base}/v1/realtime`,
    geminiLiveURL: `${base}${GEMINI_LIVE_PATH}`,
    divergences,
    get completed() {
      return completed;
    },
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
