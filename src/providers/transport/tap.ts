/**
 * The raw tap: records what went over the wire, for users reporting a provider bug and for new fixtures.
 *
 * {@link createFixtureTap} writes the response body byte for byte to a file in the fixture formats of
 * `fixtures/providers` (`.sse` for event streams, `.jsonl` for NDJSON, `.json` for whole bodies) and the
 * request next to it as `<name>.request.json` (credentials replaced by `[redacted]`).
 */
import { isSecretHeader } from "./errors.ts";

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
