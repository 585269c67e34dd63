/**
 * A recording WebSocket proxy: a realtime client (OpenAI Realtime or Gemini Live) connects to it on 127.0.0.1,
 * the proxy forwards the session to the real service and writes every message to a recording. The API key comes
 * from the environment (`OPENAI_API_KEY`, `GEMINI_API_KEY`) and is added by the proxy; the client's own
 * credentials are dropped, and neither is ever written: credential headers are recorded as `[redacted]`, a `key`
 * query parameter is removed, and any line that would contain the key has it replaced.
 */
import type { WriteStream } from "node:fs";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type WebSocket from "ws";
import { CallerError } from "../../engine/errors.ts";
import { loadWs } from "../../turns/lazy-require.ts";
import { GEMINI_LIVE_PATH } from "../realtime/gemini-live.ts";
import {
  type RecordedMessage,
  type RecordedProtocol,
  type RecordingHeader,
  recordingLine,
} from "./format.ts";

/** `node:fs` as Node holds it: an `import` of it would load its promise API and streams (about 34 of Node's modules). */
const fs = process.getBuiltinModule("node:fs");

/** Headers that carry credentials: never forwarded from the client, recorded as `[redacted]`. */
const CREDENTIAL_HEADERS = new Set([
  "authorization",
  "x-goog-api-key",
  "api-key",
  "cookie",
  "proxy-authorization",
]);
/** Client headers forwarded to the upstream. */
const FORWARDED_HEADERS = ["openai-beta", "user-agent"];
const REDACTED = "[redacted]";

/**
 * Options of {@link startRecordingProxy}.
 *
 * @example
 * await startRecordingProxy({ upstream: "wss://api.openai.com", file: "session.realtime.jsonl" });
 */
export interface RecordingProxyOptions {
  /** Origin of the real service (`wss://api.openai.com`, `wss://generativelanguage.googleapis.com`). */
  upstream: string;
  /**
   * Where the recording goes. The first connection writes this file; the N-th one (N ≥ 2) inserts `.N` before the
   * extension (`session.realtime.2.jsonl`).
   */
  file: string;
  /** Where the API key is read from (default `process.env`): `OPENAI_API_KEY` or `GEMINI_API_KEY`. */
  environment?: Record<string, string | undefined>;
  /** The header's `source` (default: `recorded through geppetto's recording proxy from <upstream>`). */
  source?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

/**
 * A running recording proxy.
 *
 * @example
 * const proxy = await startRecordingProxy({ upstream: "wss://api.openai.com", file: "s.jsonl" });
 * openAIRealtimeMode({ url: proxy.openAIRealtimeURL, model: "gpt-realtime" });
 */
export interface RecordingProxy {
  /** `ws://127.0.0.1:<port>/v1/realtime`. */
  readonly openAIRealtimeURL: string;
  /** `ws://127.0.0.1:<port>/ws/…BidiGenerateContent`. */
  readonly geminiLiveURL: string;
  /** The files written so far (one per connection). */
  readonly files: string[];
  /** Resolves when every connection so far has ended and its file is complete. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

function protocolOf(path: string): RecordedProtocol | undefined {
  if (path === "/v1/realtime") return "openai-realtime";
  if (path === GEMINI_LIVE_PATH) return "gemini-live";
  return undefined;
}

function fileFor(file: string, index: number): string {
  if (index === 1) return file;
  const dot = file.lastIndexOf(".");
  const slash = file.lastIndexOf("/");
  return dot > slash + 1 ? `${file.slice(0, dot)}.${index}${file.slice(dot)}` : `${file}.${index}`;
}

/** One proxied connection and its recording. */
class RecordedConnection {
  readonly #out: WriteStream;
  readonly #start = performance.now();
  readonly #secret: string;
  #header: RecordingHeader | undefined;
  #ended = false;
  readonly #pending: RecordedMessage[] = [];
  readonly finished: Promise<void>;

  constructor(file: string, header: RecordingHeader, secret: string) {
    this.#out = fs.createWriteStream(file, { mode: 0o600 });
    this.#secret = secret;
    this.#header = header;
    this.finished = new Promise((resolve, reject) => {
      this.#out.once("finish", resolve);
      this.#out.once("error", reject);
    });
  }

  #write(line: RecordingHeader | RecordedMessage): void {
    let text = recordingLine(line);
    if (this.#secret !== "" && text.includes(this.#secret)) text = text.split(this.#secret).join(REDACTED);
    this.#out.write(text);
  }

  /** The header waits for the first client message (Gemini Live names the model in its setup). */
  #flushHeader(): void {
    const header = this.#header;
    if (!header) return;
    this.#header = undefined;
    this.#write(header);
    for (const message of this.#pending.splice(0)) this.#write(message);
  }

  record(direction: "client" | "server", data: WebSocket.RawData, isBinary: boolean): void {
    if (this.#ended) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const timeMs = Math.round((performance.now() - this.#start) * 10) / 10;
    const message: RecordedMessage = isBinary
      ? { direction, timeMs, binary: bytes.toString("base64") }
      : { direction, timeMs, text: bytes.toString("utf8") };
    const header = this.#header;
    if (header) {
      if (direction === "client" && header.model === undefined && message.text) {
        try {
          const model = (JSON.parse(message.text) as { setup?: { model?: unknown } }).setup?.model;
          if (typeof model === "string") header.model = model.replace(/^models\//, "");
        } catch {}
      }
      this.#pending.push(message);
      if (direction === "client") this.#flushHeader();
      return;
    }
    this.#write(message);
  }

  end(): void {
    if (this.#ended) return;
    this.#flushHeader();
    this.#ended = true;
    this.#out.end();
  }
}

function upstreamRequest(
  request: IncomingMessage,
  protocol: RecordedProtocol,
  options: RecordingProxyOptions,
): { url: URL; headers: Record<string, string>; recorded: Record<string, string>; secret: string } {
  const environment = options.environment ?? process.env;
  const variable = protocol === "openai-realtime" ? "OPENAI_API_KEY" : "GEMINI_API_KEY";
  const secret = environment[variable] ?? "";
  if (secret === "")
    throw new CallerError(
      `the recording proxy needs ${variable} in the environment to reach ${options.upstream}`,
      {
        code: "missing_api_key",
      },
    );
  const url = new URL(request.url ?? "/", options.upstream);
  url.searchParams.delete("key");
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const recorded: Record<string, string> = { ...headers };
  if (protocol === "openai-realtime") headers.authorization = `Bearer ${secret}`;
  else headers["x-goog-api-key"] = secret;
  for (const name of Object.keys(headers)) if (CREDENTIAL_HEADERS.has(name)) recorded[name] = REDACTED;
  return { url, headers, recorded, secret };
}

/**
 * Starts a recording proxy on a free loopback port. Point a realtime mode at its URL (no API key needed on the
 * client side); each session is forwarded to `upstream` and written to a recording that
 * {@link startReplayServer} serves again offline.
 *
 * @example
 * // OPENAI_API_KEY=sk-… in the environment
 * const proxy = await startRecordingProxy({ upstream: "wss://api.openai.com", file: "greeting.realtime.jsonl" });
 * const session = await DuplexSession.open({ mode: openAIRealtimeMode({ url: proxy.openAIRealtimeURL, model: "gpt-realtime" }) });
 */
export async function startRecordingProxy(options: RecordingProxyOptions): Promise<RecordingProxy> {
  if (!/^wss?:\/\//.test(options.upstream))
    throw new CallerError(`upstream must be a ws:// or wss:// URL (got "${options.upstream}")`, {
      code: "invalid_argument",
    });
  const files: string[] = [];
  const connections: RecordedConnection[] = [];
  const upstreams = new Set<WebSocket>();
  // node:http (about 80 of Node's modules) loads when a server starts, not when this module is imported.
  const server: Server = process.getBuiltinModule("node:http").createServer((_request, response) => {
    response.writeHead(404).end();
  });
  const sockets = new (loadWs().WebSocketServer)({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on("upgrade", (request, socket: Socket, head) => {
    const protocol = protocolOf((request.url ?? "").split("?")[0]!);
    const origin = request.headers.origin;
    const local = origin === undefined || /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(origin);
    if (!protocol || !local) {
      socket.end(`HTTP/1.1 ${protocol ? "403 Forbidden" : "404 Not Found"}\r\nconnection: close\r\n\r\n`);
      return;
    }
    let target: ReturnType<typeof upstreamRequest>;
    try {
      target = upstreamRequest(request, protocol, options);
    } catch (error) {
      socket.end(
        `HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\n\r\n${(error as Error).message}`,
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => {
      const file = fileFor(options.file, files.length + 1);
      files.push(file);
      const path = `${target.url.pathname}${target.url.search}`;
      const recording = new RecordedConnection(
        file,
        {
          format: "geppetto-realtime-recording",
          version: 1,
          protocol,
          ...(target.url.searchParams.get("model") ? { model: target.url.searchParams.get("model")! } : {}),
          date: new Date().toISOString(),
          source: options.source ?? `recorded through geppetto's recording proxy from ${target.url.origin}`,
          path,
          headers: target.recorded,
        },
        target.secret,
      );
      connections.push(recording);
      const upstream = new (loadWs().WebSocket)(target.url, { headers: target.headers });
      upstreams.add(upstream);
      const queued: { data: WebSocket.RawData; isBinary: boolean }[] = [];
      client.on("message", (data, isBinary) => {
        recording.record("client", data, isBinary);
        if (upstream.readyState === upstream.OPEN) upstream.send(data, { binary: isBinary });
        else queued.push({ data, isBinary });
      });
      upstream.on("open", () => {
        for (const { data, isBinary } of queued.splice(0)) upstream.send(data, { binary: isBinary });
      });
      upstream.on("message", (data, isBinary) => {
        recording.record("server", data, isBinary);
        if (client.readyState === client.OPEN) client.send(data, { binary: isBinary });
      });
      const closeCode = (code: number) => (code === 1000 || (code >= 3000 && code < 5000) ? code : 1011);
      upstream.on("unexpected-response", (_request, response) => {
        upstream.terminate();
        client.close(1011, `upstream refused the upgrade with HTTP ${response.statusCode}`);
      });
      upstream.on("error", (error) => {
        if (client.readyState === client.OPEN) client.close(1011, `upstream: ${error.message}`.slice(0, 120));
      });
      upstream.on("close", (code, reason) => {
        upstreams.delete(upstream);
        if (client.readyState === client.OPEN) client.close(closeCode(code), reason.toString().slice(0, 120));
        else if (client.readyState !== client.CLOSED) client.terminate();
      });
      client.on("close", () => {
        if (upstream.readyState === upstream.OPEN) upstream.close(1000);
        else if (upstream.readyState === upstream.CONNECTING) upstream.terminate();
        recording.end();
      });
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const { port } = server.address() as AddressInfo;
  const base = `ws://${options.host ?? "127.0.0.1"}:${port}`;
  const settled = async () => {
    await Promise.all(connections.map((connection) => connection.finished));
  };
  return {
    openAIRealtimeURL: `${base}/v1/realtime`,
    geminiLiveURL: `${base}${GEMINI_LIVE_PATH}`,
    files,
    settled,
    async close() {
      for (const client of sockets.clients) client.terminate();
      for (const upstream of upstreams) upstream.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await settled();
    },
  };
}
