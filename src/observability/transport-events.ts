/**
 * The transport's observability hooks: the debug line per request and per response, the trace-level YAML dump,
 * `status` events for retries (attempt, backoff wait, the provider's rate-limit headers in `meta.extra`), and what
 * the last response said (status, request id, rate-limit and provider headers) for the `meta.extra` of the
 * inference's ending event. They act on the current scope (an inference, or a token count); outside one (a bare
 * transport) they do nothing.
 */
import { contextKey, publish } from "../events/context.ts";
import type { RawTap } from "../providers/transport/tap.ts";
import type { JsonValue } from "../turns/json.ts";
import { currentInferenceScope } from "./inference-scope.ts";
import { logEnabled } from "./logger.ts";
import { requestDumpYaml, summarizeRequest } from "./request-log.ts";

/** The run context's raw tap (see `withRecording`), used by every engine's transport in that context. */
export const ContextTapKey = contextKey<RawTap>("geppetto.raw_tap");

/** The current inference's context tap, if any. */
export function contextTap(): RawTap | undefined {
  return currentInferenceScope()?.ctx.get(ContextTapKey);
}

/** One tap feeding two. */
export function teeTaps(first: RawTap, second: RawTap): RawTap {
  return {
    request(request) {
      first.request(request);
      second.request(request);
    },
    response(response) {
      first.response(response);
      second.response(response);
    },
    chunk(bytes) {
      first.chunk(bytes);
      second.chunk(bytes);
    },
    end(error) {
      first.end(error);
      second.end(error);
    },
  };
}

/** Response headers about rate limits (`x-ratelimit-*`, `anthropic-ratelimit-*`, `retry-after`…). */
export function rateLimitHeaders(headers: Headers): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  headers.forEach((value, name) => {
    if (name.includes("ratelimit") || name === "retry-after" || name === "retry-after-ms") {
      out ??= {};
      out[name] = value;
    }
  });
  return out;
}

/** Before each attempt: the debug line, and at trace the body. `url` is already without secrets. */
export function noteRequest(
  provider: string,
  method: string,
  url: string,
  body: unknown,
  attempt: number,
  scrub: (text: string) => string,
): void {
  const scope = currentInferenceScope();
  if (scope === undefined) return;
  scope.requests++;
  const logger = scope.ctx.logger;
  if (!logEnabled(logger, "debug")) return;
  // The plain body: a request builder may hand the transport cached, pre-serialized pieces (JsonPieceList), which
  // stand for their values only through toJSON. Only at debug and trace, so the cost is the logging's own.
  body = typeof body === "string" ? body : JSON.parse(JSON.stringify(body));
  logger.log("debug", "request", {
    provider,
    method,
    url,
    ...(attempt > 0 ? { attempt: attempt + 1 } : {}),
    ...summarizeRequest(body),
  });
  if (logEnabled(logger, "trace")) {
    logger.log("trace", "request body", {
      provider,
      body: requestDumpYaml(body, logger.unredacted === true, scrub),
    });
  }
}

/** Response headers of the provider's own about the request: processing time, API version. */
const PROVIDER_HEADERS = new Set([
  "openai-processing-ms",
  "openai-version",
  "x-envoy-upstream-service-time",
  "server-timing",
]);

/** The provider headers of a response (see `PROVIDER_HEADERS`). */
function providerHeaders(headers: Headers): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const name of PROVIDER_HEADERS) {
    const value = headers.get(name);
    if (value === null) continue;
    out ??= {};
    out[name] = value;
  }
  return out;
}

/** When the response headers came. */
export function noteResponse(
  provider: string,
  status: number,
  requestId: string | undefined,
  headers: Headers,
  startedAt: number,
): void {
  const scope = currentInferenceScope();
  if (scope === undefined) return;
  scope.status = status;
  if (requestId !== undefined) scope.requestId = requestId;
  const limits = rateLimitHeaders(headers);
  if (limits !== undefined) scope.rateLimit = limits;
  const fromProvider = providerHeaders(headers);
  if (fromProvider !== undefined) scope.providerHeaders = fromProvider;
  const logger = scope.ctx.logger;
  if (!logEnabled(logger, "debug")) return;
  logger.log("debug", "http response", {
    provider,
    status,
    ...(requestId === undefined ? {} : { requestId }),
    headersMs: Math.round(performance.now() - startedAt),
    ...(limits === undefined ? {} : { rateLimit: limits }),
  });
}

/** What a retry is about to wait for. */
export interface RetryNote {
  provider: string;
  /** The attempt that failed, 0 for the first. */
  attempt: number;
  maxRetries: number;
  delayMs: number;
  /** The HTTP status that is retried, or undefined for a connection error or a first-byte timeout. */
  status?: number;
  reason: string;
  headers?: Headers;
}

/** Before a backoff wait: a `status` event (with `meta.extra`) and a warn log line. */
export function noteRetry(note: RetryNote): void {
  const scope = currentInferenceScope();
  if (scope === undefined) return;
  const seconds = (note.delayMs / 1000).toFixed(1);
  const text = `${note.provider}: ${note.reason}; retrying in ${seconds} s (attempt ${note.attempt + 2} of ${note.maxRetries + 1})`;
  const extra: Record<string, JsonValue> = {
    retry: {
      attempt: note.attempt + 2,
      maxAttempts: note.maxRetries + 1,
      delayMs: Math.round(note.delayMs),
      reason: note.reason,
      ...(note.status === undefined ? {} : { status: note.status }),
    },
  };
  const limits = note.headers ? rateLimitHeaders(note.headers) : undefined;
  if (limits !== undefined) extra.rateLimit = limits;
  const meta = {
    extra,
    ...(scope.model === undefined ? {} : { model: scope.model }),
  };
  publish(scope.ctx, { type: "status", text, meta });
  if (logEnabled(scope.ctx.logger, "warn")) scope.ctx.logger.log("warn", text, extra);
}
