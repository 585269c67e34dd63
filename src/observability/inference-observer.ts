/**
 * What one inference reports beyond its events, when asked: the inference span (GenAI semantic conventions:
 * `chat {model}`, provider, request and response model, token usage, finish reasons, time to first token, output
 * tokens per second, errors with their code and fault, content only when the tracer captures it) and the debug
 * line at its end (status, request id, finish class, usage, duration). Without a tracer and a debug logger it is
 * not created, so an inference pays nothing for it.
 */
import { KeyInferenceResult } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import type { RunContext } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";
import type { Turn } from "../turns/types.ts";
import type { InferenceScope } from "./inference-scope.ts";
import { logEnabled } from "./logger.ts";
import { openSpan, type SpanAttributes, type TraceSpan } from "./tracing.ts";

/** Provider names as the GenAI conventions spell them (`gen_ai.provider.name`). */
const PROVIDER_NAMES: Record<string, string> = {
  openai: "openai",
  "openai-responses": "openai",
  "openai-realtime": "openai",
  anthropic: "anthropic",
  claude: "anthropic",
  gemini: "gcp.gemini",
  "gemini-live": "gcp.gemini",
};

/**
 * A geppetto provider id as `gen_ai.provider.name` spells it (`openai-responses` → `openai`); other ids as they are.
 *
 * @example
 * genAIProviderName("gemini") // "gcp.gemini"
 */
export function genAIProviderName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

/** Observes one inference; see the module comment. */
export interface InferenceObserver {
  /** The context to run the inference in (with the span and the first-token watch). */
  readonly ctx: RunContext;
  /** The inference ended with `turn` (completed or interrupted). */
  end(turn: Turn, scope: InferenceScope): void;
  /** The inference failed with `error` (a GeppettoError carrying the partial Turn). */
  fail(error: GeppettoError, scope: InferenceScope): void;
}

function isOutput(event: GeppettoEvent): boolean {
  return (
    event.type === "partial" ||
    event.type === "partial-thinking" ||
    event.type === "tool-call" ||
    event.type === "tool-call-arguments-delta"
  );
}

/** The blocks of a Turn as `gen_ai.input.messages` (role and text parts), for a tracer that captures content. */
function messagesOf(turn: Turn): string {
  return JSON.stringify(
    turn.blocks.map((block) => ({ role: block.kind, payload: block.payload as unknown })),
  );
}

/**
 * Starts observing an inference, or returns undefined when the context neither traces nor logs at debug.
 *
 * @example
 * const observer = observeInference(ctx, turn, "openai", "gpt-4o-mini");
 * const runCtx = observer?.ctx ?? ctx;
 */
export function observeInference(
  ctx: RunContext,
  turn: Turn,
  provider: string,
  model: string | undefined,
): InferenceObserver | undefined {
  const debug = logEnabled(ctx.logger, "debug");
  if (ctx.tracer === undefined && !debug) return undefined;
  const startedAt = performance.now();
  let firstOutputAt: number | undefined;
  const attributes: SpanAttributes = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": genAIProviderName(provider),
    "gen_ai.request.model": model,
    "geppetto.provider": provider,
    "geppetto.turn.id": turn.id,
  };
  const opened = openSpan(ctx, model ? `chat ${model}` : "chat", "inference", attributes);
  const span: TraceSpan | undefined = opened?.span;
  if (span && ctx.tracer?.captureContent) span.setAttributes({ "gen_ai.input.messages": messagesOf(turn) });
  const watched = (opened?.ctx ?? ctx).withSinks({
    publish(event) {
      if (firstOutputAt === undefined && isOutput(event)) {
        firstOutputAt = performance.now();
        span?.addEvent("gen_ai.first_token");
      }
    },
  });

  const report = (result: Turn, scope: InferenceScope, error?: GeppettoError): void => {
    const inference = KeyInferenceResult.get(result);
    const durationMs = performance.now() - startedAt;
    const usage = inference?.usage;
    if (span) {
      const ending: SpanAttributes = {
        "gen_ai.response.model": inference?.model,
        "gen_ai.response.id": inference?.responseId,
        "gen_ai.usage.input_tokens": usage?.inputTokens,
        "gen_ai.usage.output_tokens": usage?.outputTokens,
        "gen_ai.response.finish_reasons": [inference?.stopReason ?? inference?.finishClass ?? "error"],
        "geppetto.finish_class": inference?.finishClass,
        "geppetto.request_id": inference?.requestId ?? scope.requestId,
        "http.response.status_code": scope.status,
      };
      if (firstOutputAt !== undefined) {
        ending["geppetto.time_to_first_token_ms"] = firstOutputAt - startedAt;
        const streamingSeconds = (performance.now() - firstOutputAt) / 1000;
        if (usage?.outputTokens !== undefined && streamingSeconds > 0)
          ending["geppetto.output_tokens_per_second"] = usage.outputTokens / streamingSeconds;
      }
      if (ctx.tracer?.captureContent) {
        const text = result.blocks
          .slice(turn.blocks.length)
          .map((block) => block.payload as unknown)
          .filter((payload) => payload !== undefined);
        ending["gen_ai.output.messages"] = JSON.stringify(text);
      }
      span.setAttributes(ending);
      if (error) span.recordError(error);
      span.end();
    }
    if (debug) {
      ctx.logger.log(error ? "warn" : "debug", "response", {
        provider,
        ...(scope.status === undefined ? {} : { status: scope.status }),
        ...(scope.requestId === undefined ? {} : { requestId: scope.requestId }),
        finish: inference?.finishClass ?? "error",
        ...(usage?.inputTokens === undefined ? {} : { inputTokens: usage.inputTokens }),
        ...(usage?.outputTokens === undefined ? {} : { outputTokens: usage.outputTokens }),
        durationMs: Math.round(durationMs),
        ...(scope.requests > 1 ? { requests: scope.requests } : {}),
        ...(error ? { error: error.code, fault: error.fault } : {}),
      });
    }
  };

  return {
    ctx: watched,
    end: (result, scope) => report(result, scope),
    fail: (error, scope) => report(error.turn ?? turn, scope, error),
  };
}

/** The attributes of a failed span: `error.type` (the error's code) and `geppetto.error.fault`. */
export function errorAttributes(error: unknown): SpanAttributes {
  if (GeppettoError.is(error)) return { "error.type": error.code, "geppetto.error.fault": error.fault };
  return { "error.type": error instanceof Error ? error.name : "error" };
}
