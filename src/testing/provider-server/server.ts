/**
 * The local provider-compatible server: node:http on 127.0.0.1 (port 0 by default) speaking the wire protocols
 * of the providers, replaying recorded files or scripted answers, with pacing and injected faults, and keeping
 * every request it received.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { loadFixture } from "./fixtures.ts";
import { createHttpFetch } from "./http-fetch.ts";
import { validateToolPairing } from "./pairing.ts";
import { registeredProtocols } from "./protocols.ts";
import type { ProtocolModule, RecordedRequest, Reply, ResponseSpec } from "./types.ts";

/** Options of {@link startProviderServer}. */
export interface ProviderServerOptions {
  /**
   * Serve this process only, with no socket: no port is opened, and a client reaches the server through
   * `server.fetch` (HTTP/1.1 over an in-memory stream pair: the same bytes and parsers as over TCP). Default false.
   */
  inProcess?: boolean;
  /** Port (default 0: any free port). */
  port?: number;
  /** Host (default 127.0.0.1). */
  host?: string;
  /** Answer when the queue is empty (default: a short scripted text). */
  response?: ResponseSpec;
  /** Answers served in order, one per request, before `response`. */
  queue?: ResponseSpec[];
  /** Extra protocol modules (tried before the registered ones). */
  protocols?: ProtocolModule[];
  /**
   * The registered wire protocols to serve, by name (`["openai-chat"]`), each with its token-counting and
   * embeddings modules; default all. Fewer start faster: only their modules are loaded.
   */
  wires?: readonly string[];
  /**
   * Refuse a request whose tool calls and results do not pair up, with the HTTP 400 and error body the provider
   * sends (see `validateToolPairing`). Default false.
   */
  validateToolPairing?: boolean;
}

/** A running server. Close it in `afterEach`/`finally`. */
export interface ProviderServer {
  /** `http://127.0.0.1:<port>`; `http://in-process.invalid` when `inProcess` (a name that never resolves). */
  readonly url: string;
  /** The port listened on (0 when `inProcess`). */
  readonly port: number;
  /**
   * A fetch over node:http that reaches this server: over TCP to `url`, or when `inProcess` over a new in-memory
   * connection per request. Engines take it as their `fetch` option.
   */
  readonly fetch: typeof fetch;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** The base URL a client of `protocol` uses (`<url>/v1` for OpenAI). */
  baseURL(protocol?: string): string;
  /** Adds answers served in order before the default one. */
  enqueue(...responses: ResponseSpec[]): void;
  /** Replaces the default answer. */
  respond(response: ResponseSpec): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

/** The URL of an in-process server: `.invalid` never resolves (RFC 2606), so it cannot reach a network. */
const IN_PROCESS_URL = "http://in-process.invalid";

const DEFAULT_RESPONSE: ResponseSpec = { script: { text: "Hello from the local provider server." } };

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Timers of pacing, delays and stalls; all resolved at once when the server closes. */
class Waits {
  readonly #pending = new Map<ReturnType<typeof setTimeout>, () => void>();

  #closed = false;

  wait(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        resolve();
      }, ms);
      this.#pending.set(timer, resolve);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves a wait that never ends on its own (a stall without `stallMs`). */
  forever(): Promise<void> {
    return this.wait(2_147_483_647);
  }

  cancelAll(): void {
    this.#closed = true;
    for (const [timer, resolve] of this.#pending) {
      clearTimeout(timer);
      resolve();
    }
    this.#pending.clear();
  }
}

async function resolveReply(
  spec: ResponseSpec,
  protocol: ProtocolModule,
  request: RecordedRequest,
): Promise<{ reply: Reply; spec: ResponseSpec }> {
  if (spec.handler) {
    // The handler computes what to answer; how to deliver it (pacing, faults, status, headers, streaming) set
    // next to the handler still applies unless the computed spec says otherwise.
    const { handler, ...delivery } = spec;
    return resolveReply({ ...delivery, ...(await handler(request, protocol)) }, protocol, request);
  }
  const streaming = spec.streaming ?? protocol.wantsStream(request);
  let reply: Reply;
  if (spec.fixture) reply = loadFixture(spec.fixture, protocol, streaming);
  else if (spec.raw) {
    reply = {
      status: 200,
      headers: { "content-type": spec.raw.contentType ?? "text/event-stream" },
      frames: spec.raw.frames,
    };
  } else if (spec.error) {
    const body = spec.error.body ?? {
      error: { message: `injected HTTP ${spec.error.status}`, type: "server_error" },
    };
    reply = {
      status: spec.error.status,
      headers: { "content-type": "application/json", ...spec.error.headers },
      frames: [typeof body === "string" ? body : JSON.stringify(body)],
    };
  } else reply = protocol.render(spec.script ?? {}, streaming, request);
  if (spec.status !== undefined) reply.status = spec.status;
  if (spec.headers) reply.headers = { ...reply.headers, ...spec.headers };
  return { reply, spec };
}

async function send(response: ServerResponse, reply: Reply, spec: ResponseSpec, waits: Waits): Promise<void> {
  const faults = spec.faults ?? {};
  if (faults.delayHeadersMs) await waits.wait(faults.delayHeadersMs);
  if (response.destroyed) return;
  response.writeHead(reply.status, reply.headers);
  response.flushHeaders();
  const limit = faults.cutAfterBytes ?? faults.stallAfterBytes ?? faults.endAfterBytes;
  let sent = 0;
  for (const frame of reply.frames) {
    if (response.destroyed || waits.closed) return;
    let bytes = typeof frame === "string" ? Buffer.from(frame, "utf8") : frame;
    if (limit !== undefined && sent + bytes.length >= limit) {
      bytes = bytes.subarray(0, limit - sent);
      if (bytes.length > 0) response.write(bytes);
      if (faults.cutAfterBytes !== undefined) {
        // Let the partial bytes leave, then break the connection without a proper end.
        await new Promise<void>((resolve) => response.socket?.write("", () => resolve()) ?? resolve());
        response.socket?.destroy();
        return;
      }
      if (faults.stallAfterBytes === undefined) {
        response.end();
        return;
      }
      // Held open for stallMs, or until the client leaves or the server closes.
      await (faults.stallMs === undefined ? waits.forever() : waits.wait(faults.stallMs));
      if (!response.destroyed) response.end();
      return;
    }
    sent += bytes.length;
    if (!response.write(bytes) && spec.pacingMs === undefined) {
      await new Promise<void>((resolve) => response.once("drain", resolve));
    }
    if (spec.pacingMs) await waits.wait(spec.pacingMs);
  }
  if (faults.holdOpen) await (faults.stallMs === undefined ? waits.forever() : waits.wait(faults.stallMs));
  if (!response.destroyed) response.end();
}

/**
 * Starts the server.
 *
 * @example
 * const server = await startProviderServer({ response: { fixture: "fixtures/openai-chat/stream-tool-call.sse" } });
 * const engine = createOpenAIChatEngine({ model: "gpt-4o", apiKey: "test", baseURL: server.baseURL("openai-chat") });
 * // … run, then assert on server.requests[0].body
 * await server.close();
 */
export async function startProviderServer(options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const protocols = [...(options.protocols ?? []), ...(await registeredProtocols(options.wires))];
  const requests: RecordedRequest[] = [];
  const queue = [...(options.queue ?? [])];
  let fallback = options.response ?? DEFAULT_RESPONSE;
  const waits = new Waits();

  // node:http is loaded when a server starts: importing it costs more than the rest of geppetto/testing. Not as an
  // ESM import: its facade reads every export, undici's lazy ones too (40 ms and more).
  const { createServer } = process.getBuiltinModule("node:http");
  const server = createServer((incoming, response) => {
    void (async () => {
      const path = incoming.url ?? "/";
      const method = incoming.method ?? "GET";
      const text = await readBody(incoming);
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // keep the text
      }
      const pathname = path.split("?")[0] ?? path;
      const protocol = protocols.find((candidate) => candidate.matches(method, pathname));
      const recorded: RecordedRequest = {
        protocol: protocol?.name,
        method,
        path,
        headers: headersOf(incoming),
        body,
      };
      requests.push(recorded);
      if (!protocol) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(
          JSON.stringify({
            error: { message: `no protocol serves ${method} ${pathname}`, type: "not_found" },
          }),
        );
        return;
      }
      const refusal = options.validateToolPairing ? validateToolPairing(recorded) : undefined;
      const next = refusal ? { error: refusal } : (queue.shift() ?? fallback);
      const { reply, spec } = await resolveReply(next, protocol, recorded);
      await send(response, reply, spec, waits);
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: String(error), type: "provider_server_error" } }));
    });
  });
  // In process: the server side of each stream pair is handed to the HTTP server as a connection (listening would
  // load Node's cluster, dns and dgram modules and open a port any local user could reach).
  const own = new Set<Duplex>();
  const connect = () => {
    const [client, serverSide] = process.getBuiltinModule("node:stream").duplexPair();
    own.add(serverSide);
    serverSide.once("close", () => own.delete(serverSide));
    server.emit("connection", serverSide);
    return client;
  };
  if (!options.inProcess) {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
  }
  const port = options.inProcess ? 0 : (server.address() as AddressInfo).port;
  const url = options.inProcess ? IN_PROCESS_URL : `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    url,
    port,
    fetch: createHttpFetch(options.inProcess ? connect : undefined),
    requests,
    baseURL(name = "openai-chat") {
      const protocol = protocols.find((candidate) => candidate.name === name);
      if (!protocol)
        throw new Error(`unknown protocol "${name}" (known: ${protocols.map((p) => p.name).join(", ")})`);
      return `${url}${protocol.basePath}`;
    },
    enqueue(...responses) {
      queue.push(...responses);
    },
    respond(response) {
      fallback = response;
    },
    close() {
      return new Promise<void>((resolve) => {
        waits.cancelAll();
        for (const connection of own) connection.destroy();
        if (options.inProcess) resolve();
        else {
          server.close(() => resolve());
          server.closeAllConnections();
        }
      });
    },
  };
}
