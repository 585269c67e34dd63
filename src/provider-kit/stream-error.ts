/**
 * One mapping from an error that arrives inside a stream (an `error` event, an `error` line, a failed response)
 * to a ProviderError, for every provider: the same message shape, the same codes, the same retry rule.
 */
import type { ProviderErrorCode } from "../engine/errors.ts";
import { ProviderError } from "../engine/errors.ts";
import { errorCodeForStatus } from "../providers/transport/errors.ts";

/**
 * What a provider said about the error, read from its own shape.
 *
 * @example
 * const fields: StreamErrorFields = { provider: "anthropic", type: "overloaded_error", message: "Overloaded" };
 */
export interface StreamErrorFields {
  provider: string;
  /** The provider's error type (`overloaded_error`, `invalid_request_error`, `INVALID_ARGUMENT`…). */
  type?: string | undefined;
  /** The provider's error code (`rate_limit_exceeded`, `insufficient_quota`…). */
  code?: string | undefined;
  message?: string | undefined;
  param?: string | undefined;
  /** An HTTP-like status the provider put in the error (Gemini does). */
  status?: number | undefined;
}

const RULES: { pattern: RegExp; code: ProviderErrorCode; retryable: boolean }[] = [
  { pattern: /insufficient_quota|billing/i, code: "rate_limited", retryable: false },
  { pattern: /rate_limit|resource_exhausted|too_many/i, code: "rate_limited", retryable: true },
  {
    pattern: /overloaded|server_error|api_error|unavailable|internal|timeout/i,
    code: "provider_unavailable",
    retryable: true,
  },
  {
    pattern: /authentication|unauthenticated|invalid_api_key/i,
    code: "authentication_failed",
    retryable: false,
  },
  { pattern: /permission/i, code: "permission_denied", retryable: false },
  { pattern: /not_found/i, code: "not_found", retryable: false },
  { pattern: /invalid_request|invalid_argument|invalid_value/i, code: "invalid_request", retryable: false },
];

/**
 * The ProviderError of a mid-stream error. The status decides when there is one; otherwise the type and code do:
 * overloaded/server errors and rate limits are retryable (a quota is not), anything unrecognised is a
 * non-retryable `stream_error`.
 *
 * @example
 * midStreamError({ provider: "anthropic", type: "overloaded_error", message: "Overloaded" }).retryable // true
 * midStreamError({ provider: "openai", type: "invalid_request_error", message: "bad" }).code // "invalid_request"
 */
export function midStreamError(fields: StreamErrorFields): ProviderError {
  const { provider, type, code, status } = fields;
  const label = [type, code].filter(Boolean).join("/");
  const message = `${provider} stream error${status === undefined ? "" : ` ${status}`}${
    label ? ` (${label})` : ""
  }: ${fields.message || "no message"}`;
  const details: ConstructorParameters<typeof ProviderError>[1] = { provider };
  if (status !== undefined) details.status = status;
  if (type) details.providerType = type;
  if (code) details.providerCode = code;
  if (fields.param) details.param = fields.param;
  let errorCode: ProviderErrorCode = "stream_error";
  let retryable = false;
  if (status !== undefined) {
    errorCode = errorCodeForStatus(status);
    retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  } else {
    const text = `${type ?? ""} ${code ?? ""}`;
    const rule = RULES.find((candidate) => candidate.pattern.test(text));
    if (rule) {
      errorCode = rule.code;
      retryable = rule.retryable;
    }
  }
  return new ProviderError(message, details, { code: errorCode, retryable });
}
