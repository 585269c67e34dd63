/**
 * The web chat server's HTTP guards: the token, the Host and Origin checks, size-limited JSON bodies, and
 * JSON answers. Small pure helpers on node:http, so the routes stay readable.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** The cookie a browser gets after opening the page with a valid `?token=`. */
export const TOKEN_COOKIE = "geppetto_webchat_token";

/** A request refused with an HTTP status and a message naming what was wrong. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Host names that reach only this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

const digest = (text: string) =>
  process.getBuiltinModule("node:crypto").createHash("sha256").update(text).digest();

/** Compares a presented token with the expected one in constant time. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  return (
    presented !== undefined &&
    process.getBuiltinModule("node:crypto").timingSafeEqual(digest(presented), digest(expected))
  );
}

function cookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

/** The token a request presents: `Authorization: Bearer`, the cookie, or `?token=`. */
export function presentedToken(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length);
  return cookie(request, TOKEN_COOKIE) ?? url.searchParams.get("token") ?? undefined;
}

/**
 * Refuses a request whose Host is not a loopback name while the server listens on loopback (a page on another
 * site reaching it through DNS rebinding), and a browser request whose Origin is not the served origin.
 */
export function checkHostAndOrigin(request: IncomingMessage, loopbackOnly: boolean): void {
  const host = request.headers.host ?? "";
  const hostname = host.replace(/:\d+$/, "");
  if (loopbackOnly && !isLoopbackHost(hostname)) {
    throw new HttpError(403, "bad_host", `Host "${host}" is not a loopback address`);
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    throw new HttpError(403, "bad_origin", `Origin "${origin}" is not this server's (http://${host})`);
  }
}

/** Reads a JSON object body of at most `limit` bytes. */
export async function readJsonBody(
  request: IncomingMessage,
  limit: number,
): Promise<Record<string, unknown>> {
  if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
    throw new HttpError(
      415,
      "bad_content_type",
      "the request body must be JSON (Content-Type: application/json)",
    );
  }
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limit) throw new HttpError(413, "body_too_large", `the request body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "body_too_large", `the request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new HttpError(400, "bad_json", `the request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "bad_json", "the request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** A string field of a body: required, or optional when `optional` is set. */
export function stringField(
  body: Record<string, unknown>,
  name: string,
  options: { optional?: boolean } = {},
): string | undefined {
  const value = body[name];
  if (value === undefined && options.optional) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw new HttpError(400, "bad_request", `"${name}" must be a non-empty string`);
  }
  return value;
}

/** Headers on every answer. */
export const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** The page's Content-Security-Policy: only the server's own script and styles, no inline script at all. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Sends a JSON answer. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}
