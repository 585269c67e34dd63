/**
 * The raw tap: records what went over the wire, for users reporting a provider bug and for new fixtures.
 *
 * {@link createFixtureTap} writes the response body byte for byte to a file in the fixture formats of
 * `fixtures/providers` (`.sse` for event streams, `.jsonl` for NDJSON, `.json` for whole bodies) and the
 * request next to it as `<name>.request.json` (credentials replaced by `[redacted]`).
 */
import { isSecretHeader, scrubSecrets } from "./errors.ts";

/** The request as sent (credential headers already redacted). */
export interface TappedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Receives a copy of every exchange. Called once per attempt (retries included); must not throw. */
export interface RawTap {
  request(request: TappedRequest): void;
  response(response: { status: number; headers: Record<string, string> }): void;
  /** One body chunk, exactly as received. */
  chunk(bytes: Uint8Array): void;
  /** The body ended (or failed, with the error). */
  end(error?: unknown): void;
}

/**
 * Copies headers, with credential values replaced.
 *
 * @example
 * redactHeaders({ authorization: "Bearer sk-…", accept: "text/event-stream" }) // authorization: "[redacted]"
 */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    out[name] = isSecretHeader(name) ? "[redacted]" : value;
  return out;
}

/**
 * Wraps a tap so that none of `secrets` reaches it: they are replaced by `[redacted]` in the request (URL, headers,
 * body), the response headers and the body bytes (a provider that echoes the key in an error body, say). A secret
 * split across two chunks is caught: the last bytes of each chunk wait for the next one (or the end).
 *
 * @example
 * const tap = scrubbingTap(createFixtureTap("report.sse"), [apiKey]);
 */
export function scrubbingTap(tap: RawTap, secrets: readonly string[]): RawTap {
  // Bytes as latin1 text: one character per byte, so the replaced body is the received bytes but for the secrets.
  const needles = secrets.filter((secret) => secret.length >= 6).map(latin1Of);
  if (needles.length === 0) return tap;
  const holdBack = Math.max(...needles.map((needle) => needle.length)) - 1;
  let pending = "";
  const scrubText = (text: string): string => scrubSecrets(text, needles);
  const scrubRecord = (record: Record<string, string>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(record)) out[name] = scrubSecrets(value, secrets);
    return out;
  };
  const flush = (): void => {
    if (pending.length > 0) tap.chunk(Buffer.from(pending, "latin1"));
    pending = "";
  };
  return {
    request(request) {
      pending = "";
      tap.request({
        ...request,
        url: scrubSecrets(request.url, secrets),
        headers: scrubRecord(request.headers),
        body: scrubSecrets(request.body, secrets),
      });
    },
    response(response) {
      tap.response({ status: response.status, headers: scrubRecord(response.headers) });
    },
    chunk(bytes) {
      const text = scrubText(
        pending + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1"),
      );
      const cut = Math.max(0, text.length - holdBack);
      pending = text.slice(cut);
      if (cut > 0) tap.chunk(Buffer.from(text.slice(0, cut), "latin1"));
    },
    end(error) {
      flush();
      tap.end(error === undefined ? undefined : scrubbedError(error, secrets));
    },
  };
}

/** The error itself when its message holds no secret, else an Error of the same name with the message scrubbed. */
export function scrubbedError(error: unknown, secrets: readonly string[]): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const scrubbed = scrubSecrets(message, secrets);
  const causeMessage = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
  if (scrubbed === message && scrubSecrets(causeMessage, secrets) === causeMessage) return error;
  const replacement = new Error(scrubbed);
  if (error instanceof Error) replacement.name = error.name;
  return replacement;
}

function latin1Of(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

function requestPathFor(path: string): string {
  const dot = path.lastIndexOf(".");
  const slash = path.lastIndexOf("/");
  return `${dot > slash ? path.slice(0, dot) : path}.request.json`;
}

/**
 * A tap that writes the last exchange to `path` (the raw response body) and `<name>.request.json`.
 *
 * @example
 * const engine = createOpenAIChatEngine({ model, tap: createFixtureTap("bug-report.sse") });
 */
export function createFixtureTap(path: string): RawTap & { readonly requestPath: string } {
  let chunks: Uint8Array[] = [];
  let status = 0;
  let responseHeaders: Record<string, string> = {};
  let request: TappedRequest | undefined;
  const requestPath = requestPathFor(path);
  return {
    requestPath,
    request(tapped) {
      request = tapped;
      chunks = [];
    },
    response(response) {
      status = response.status;
      responseHeaders = response.headers;
    },
    chunk(bytes) {
      chunks.push(bytes.slice());
    },
    end(error) {
      // Loaded on use: importing the transport must not pay for node:fs.
      const { writeFileSync } = process.getBuiltinModule("node:fs");
      writeFileSync(path, Buffer.concat(chunks));
      let body: unknown = request?.body;
      try {
        body = JSON.parse(request?.body ?? "null");
      } catch {
        // keep the text
      }
      const record = {
        request: request ? { ...request, body } : undefined,
        response: { status, headers: responseHeaders },
        ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
      };
      writeFileSync(requestPath, `${JSON.stringify(record, null, 2)}\n`);
    },
  };
}
