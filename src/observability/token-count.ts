/**
 * What a token count reports beyond its number, when asked: a `count_tokens {model}` span (provider, request
 * model, `gen_ai.usage.input_tokens`, HTTP status, request id, errors with code and fault) and, at debug, the
 * request line, the response line and a `token count` line. Without a tracer and a debug logger the count only runs.
 */
import { GeppettoError } from "../engine/errors.ts";
import type { RunContext } from "../events/context.ts";
import { genAIProviderName } from "./inference-observer.ts";
import { type InferenceScope, runInInferenceScope } from "./inference-scope.ts";
import { logEnabled } from "./logger.ts";
import { openSpan } from "./tracing.ts";

/**
 * Runs an engine's token count (`count`) observed: see the module comment. For engine authors: wrap the body of
 * `countTokens` in it.
 *
 * @example
 * countTokens(turn: Turn, ctx: RunContext): Promise<number> {
 *   return observeTokenCount(ctx, "acme", this.model, () => this.#count(turn, ctx));
 * }
 */
export async function observeTokenCount(
  ctx: RunContext,
  provider: string,
  model: string | undefined,
  count: () => Promise<number>,
): Promise<number> {
  const debug = logEnabled(ctx.logger, "debug");
  if (ctx.tracer === undefined && !debug) return count();
  const startedAt = performance.now();
  const opened = openSpan(ctx, model ? `count_tokens ${model}` : "count_tokens", "token-count", {
    "gen_ai.operation.name": "count_tokens",
    "gen_ai.provider.name": genAIProviderName(provider),
    "gen_ai.request.model": model,
    "geppetto.provider": provider,
  });
  const scope: InferenceScope = { ctx: opened?.ctx ?? ctx, provider, model, requests: 0 };
  let tokens: number | undefined;
  let failure: unknown;
  try {
    tokens = await runInInferenceScope(scope, count);
    return tokens;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    if (opened) {
      opened.span.setAttributes({
        "gen_ai.usage.input_tokens": tokens,
        "http.response.status_code": scope.status,
        "geppetto.request_id": scope.requestId,
      });
      if (failure !== undefined) opened.span.recordError(failure);
      opened.span.end();
    }
    if (debug) {
      const error = GeppettoError.is(failure) ? failure : undefined;
      ctx.logger.log(failure === undefined ? "debug" : "warn", "token count", {
        provider,
        ...(model === undefined ? {} : { model }),
        ...(tokens === undefined ? {} : { inputTokens: tokens }),
        ...(scope.status === undefined ? {} : { status: scope.status }),
        ...(scope.requestId === undefined ? {} : { requestId: scope.requestId }),
        durationMs: Math.round(performance.now() - startedAt),
        ...(error ? { error: error.code, fault: error.fault } : {}),
      });
    }
  }
}
