/**
 * Provider error bodies → ProviderError, and the scrubbing that keeps API keys out of every message.
 */
import { ProviderError } from "../../engine/errors.ts";
import { isRetryableStatus } from "./retry.ts";

/** What a provider said about a failed request, read from its error body. */
export interface ProviderErrorFields {
  message?: string;
  /** The provider's error type (`invalid_request_error`, `overloaded_error`, `INVALID_ARGUMENT`…). */
  type?: string;
  code?: string;
  param?: string;
}

/**
 * Reads a provider's error body (parsed JSON when it was JSON, else the text) into fields. Each provider may
 * pass its own; {@link defaultErrorFields} understands the OpenAI, Anthropic, Gemini and Ollama shapes.
 */
export type ErrorFieldsExtractor = (body: unknown) => ProviderErrorFields;

function text(value: unknown): string | undefined {
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

function setField(fields: ProviderErrorFields, key: keyof ProviderErrorFields, value: unknown): void {
  const found = text(value);
  if (found !== undefined) fields[key] = found;
}

/**
 * Understands `{error: {message, type, code, param}}` (OpenAI), `{type: "error", error: {type, message}}`
 * (Anthropic), `{error: {code, message, status}}` (Gemini), `{error: "..."}` (Ollama) and `{message}`.
 *
 * @example
 * defaultErrorFields({ error: { message: "bad", type: "invalid_request_error", param: "max_tokens" } })
 */
export function defaultErrorFields(body: unknown): ProviderErrorFields {
  const fields: ProviderErrorFields = {};
  if (typeof body === "string") {
    const trimmed = body.trim();
    if (trimmed) fields.message = trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed;
    return fields;
  }
  if (Array.isArray(body)) return defaultErrorFields(body[0]);
  if (typeof body !== "object" || body === null) return fields;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === "string") {
    fields.message = error;
    return fields;
  }
  const inner = typeof error === "object" && error !== null ? (error as Record<string, unknown>) : record;
  setField(fields, "message", inner.message);
  setField(fields, "type", inner.status ?? inner.type);
  setField(fields, "code", inner.code);
  setField(fields, "param", inner.param);
  return fields;
}

const STATUS_CODES: Record<number, string> = {
  400: "invalid_request",
  401: "authentication_failed",
  403: "permission_denied",
  404: "not_found",
  408: "request_timeout",
  409: "conflict",
  413: "request_too_large",
  422: "invalid_request",
  429: "rate_limited",
};

/**
 * The stable geppetto error code for an HTTP status.
 *
 * @example
 * errorCodeForStatus(429) // "rate_limited"
 */
export function errorCodeForStatus(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? "provider_unavailable" : "provider_error");
}

/**
 * Replaces every secret in `message` by `[redacted]`.
 *
 * @example
 * scrubSecrets("bad key sk-123456789", ["sk-123456789"]) // "bad key [redacted]"
 */
export function scrubSecrets(message: string, secrets: readonly string[]): string {
  let scrubbed = message;
  for (const secret of secrets) if (secret.length >= 6) scrubbed = scrubbed.split(secret).join("[redacted]");
  return scrubbed;
}

const SECRET_HEADERS = new Set([
  "authorization",
  "x-api-key",
  "api-key",
  "x-goog-api-key",
  "proxy-authorization",
]);

/**
 * True for headers that carry credentials (their values are secrets and are never recorded).
 *
 * @example
 * isSecretHeader("Authorization") // true
 */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

/** The secrets found in request headers (the whole value and a bearer token alone). */
export function secretsOf(headers: Record<string, string>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isSecretHeader(name)) continue;
    secrets.push(value);
    const space = value.indexOf(" ");
    if (space !== -1) secrets.push(value.slice(space + 1));
  }
  return secrets;
}

/** Builds the ProviderError for a non-2xx response. */
export function providerErrorFromResponse(input: {
  provider: string;
  status: number;
  body: unknown;
  requestId: string | undefined;
  extract: ErrorFieldsExtractor;
  secrets: readonly string[];
}): ProviderError {
  let fields: ProviderErrorFields = {};
  try {
    fields = input.extract(input.body);
  } catch {
    fields = defaultErrorFields(input.body);
  }
  const parts = [fields.type, fields.code && fields.code !== fields.type ? fields.code : undefined]
    .filter(Boolean)
    .join("/");
  let message = `${input.provider} returned HTTP ${input.status}`;
  if (parts) message += ` (${parts})`;
  if (fields.message) message += `: ${fields.message}`;
  if (fields.param) message += ` [param: ${fields.param}]`;
  if (input.requestId) message += ` [request id: ${input.requestId}]`;
  const details: ConstructorParameters<typeof ProviderError>[1] = {
    provider: input.provider,
    status: input.status,
  };
  if (fields.type) details.providerType = fields.type;
  if (fields.code) details.providerCode = fields.code;
  if (fields.param) details.param = fields.param;
  if (input.requestId) details.requestId = input.requestId;
  return new ProviderError(scrubSecrets(message, input.secrets), details, {
    code: errorCodeForStatus(input.status),
    retryable: isRetryableStatus(input.status),
  });
}

/**
 * The error for a stream that ended cleanly but too early: the connection closed before the provider's end marker
 * (`[DONE]`, `message_stop`, `response.completed`, a finish reason, Ollama's done line). Retryable.
 *
 * @example
 * if (!handler.done) throw streamEndedEarly("ollama", "its done line");
 */
export function streamEndedEarly(provider: string, expected: string): ProviderError {
  return new ProviderError(
    `${provider}: the stream ended before ${expected}`,
    { provider },
    { code: "stream_interrupted", retryable: true },
  );
}

/**
 * True when a JSON parse failed because the text stopped early (a body cut short), not because it was malformed.
 *
 * @example
 * try { JSON.parse('{"a": [1,') } catch (error) { endsMidJson(error, '{"a": [1,') } // true
 */
export function endsMidJson(error: unknown, text: string): boolean {
  if (!(error instanceof SyntaxError)) return false;
  if (/end of JSON input|Unterminated string/.test(error.message)) return true;
  const position = /at position (\d+)/.exec(error.message);
  return position !== null && Number(position[1]) >= text.trimEnd().length;
}

/** The URL without its query (which may carry a key) and without user info, for messages. */
export function displayURL(url: string): string {
  const query = url.indexOf("?");
  const withoutQuery = query === -1 ? url : url.slice(0, query);
  return withoutQuery.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

const SECRET_QUERY_NAME = /key|token|secret|password|auth|sig/i;

/**
 * The secrets a base URL carries: its user info (`https://user:key@host`) and the values of query parameters
 * named like credentials (`?key=`, `?api_key=`, `?token=`), raw and percent-encoded.
 */
export function secretsOfURL(baseURL: string): string[] {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return [];
  }
  const found: string[] = [];
  const add = (encoded: string): void => {
    if (!encoded) return;
    found.push(encoded);
    try {
      found.push(decodeURIComponent(encoded));
    } catch {
      // keep the encoded form only
    }
  };
  add(url.password);
  add(url.username);
  if (url.username && url.password) found.push(`${url.username}:${url.password}`);
  for (const [name, value] of url.searchParams) {
    if (SECRET_QUERY_NAME.test(name)) {
      found.push(value);
      found.push(encodeURIComponent(value));
    }
  }
  return found;
}

/** A short reason for a fetch failure (undici hides the useful part in `cause`). */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    return `${error.message} (${code ? `${code}: ` : ""}${cause.message})`;
  }
  return error.message;
}
