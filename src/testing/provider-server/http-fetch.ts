/**
 * A fetch over node:http, for an engine talking to the local provider server. The platform fetch (undici) costs
 * 40 ms or more on its first use (its module, zlib, and compiling its HTTP parser), more than the rest of
 * `geppetto run` on the default; node:http is loaded already by the server. The engine, its HttpTransport
 * (retries, timeouts, taps, SSE splitting) and the socket to the server are the same as with the platform fetch:
 * only the HTTP client differs.
 *
 * It covers what HttpTransport uses: method, headers as a record or pairs, a string or bytes body and a signal;
 * the response's status, ok, statusText, headers (get, has, forEach, entries), body (a byte stream), text() and
 * json(). Redirects are not followed.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** Response headers, read-only, iterated in name order as the platform's Headers are. */
class ResponseHeaders {
  readonly #values = new Map<string, string>();

  constructor(headers: IncomingHttpHeaders) {
    for (const name of Object.keys(headers).sort()) {
      const value = headers[name];
      if (value !== undefined) this.#values.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  forEach(callback: (value: string, name: string, headers: ResponseHeaders) => void): void {
    for (const [name, value] of this.#values) callback(value, name, this);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#values.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#values.entries();
  }
}

/**
 * The response's bytes as a web stream, read as the consumer pulls (the socket is paused while a chunk waits).
 * A body cut short errors the stream with the socket's error; cancelling it closes the connection. Not
 * `Readable.toWeb`: its adapters module costs a few milliseconds on first use, more than this whole stream.
 */
function bodyOf(incoming: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      incoming.on("data", (chunk: Buffer) => {
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 0) <= 0) incoming.pause();
      });
      incoming.once("end", () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      incoming.once("error", (error) => {
        if (settled) return;
        settled = true;
        controller.error(error);
      });
    },
    pull() {
      incoming.resume();
    },
    cancel() {
      settled = true;
      incoming.destroy();
    },
  });
}

function responseOf(incoming: IncomingMessage) {
  const status = incoming.statusCode ?? 0;
  const body = bodyOf(incoming);
  const text = async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return Buffer.concat(chunks).toString("utf8");
  };
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: incoming.statusMessage ?? "",
    headers: new ResponseHeaders(incoming.headers),
    body,
    text,
    json: async () => JSON.parse(await text()) as unknown,
  };
}

function headerRecord(headers: RequestInit["headers"]): Record<string, string> {
  if (headers === undefined) return {};
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  if (typeof (headers as { forEach?: unknown }).forEach === "function") {
    const record: Record<string, string> = {};
    (headers as Headers).forEach((value, name) => {
      record[name] = value;
    });
    return record;
  }
  return { ...(headers as Record<string, string>) };
}

/**
 * A fetch over node:http (see the module's note for what it covers). A connection that fails rejects with a
 * TypeError whose cause is the socket's error, as the platform fetch does; an aborted one with the signal's reason.
 * With `connect`, each request runs over the stream it returns instead of a socket to the URL's host (the
 * provider server's in-process connections: `startProviderServer({ inProcess: true })`); the URL still gives the
 * path and the Host header.
 *
 * @example
 * const engine = createOpenAIChatEngine({ model: "m", apiKey: "local", baseURL: server.baseURL(), fetch: createHttpFetch() });
 */
export function createHttpFetch(connect?: () => Duplex): typeof fetch {
  return (input, init = {}) => {
    // Not `import "node:http"`: its ESM facade reads every export, undici's lazy ones too.
    const http = process.getBuiltinModule("node:http");
    const signal = init.signal ?? undefined;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const url = input instanceof URL ? input : new URL(typeof input === "string" ? input : input.url);
      const request = http.request(
        url,
        {
          method: init.method ?? "GET",
          headers: headerRecord(init.headers),
          ...(signal ? { signal } : {}),
          // With no agent the port's default is unknown: given, the Host header is the platform fetch's.
          ...(connect
            ? { createConnection: connect, defaultPort: url.protocol === "https:" ? 443 : 80 }
            : {}),
        },
        (incoming) => resolve(responseOf(incoming) as unknown as Response),
      );
      request.on("error", (error) =>
        reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: error })),
      );
      const body = init.body;
      if (body === undefined || body === null) request.end();
      else if (typeof body === "string" || body instanceof Uint8Array) request.end(body);
      else {
        request.destroy();
        reject(new TypeError("httpFetch: the body must be a string or bytes"));
      }
    });
  };
}

/** A fetch over node:http to the URL's host (`createHttpFetch()`). */
export const httpFetch: typeof fetch = createHttpFetch();
