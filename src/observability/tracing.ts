/**
 * Tracing, without a tracing library: the small interface the run context carries (`ctx.withTracer`) and the
 * helpers geppetto's own layers use to open nested spans — one per session turn, tool-loop iteration, inference,
 * tool execution, token count and duplex session (with one per realtime exchange). `geppetto/otel` implements it on `@opentelemetry/api`; the core never imports OpenTelemetry.
 */
import { contextKey, type RunContext } from "../events/context.ts";

/** An attribute value (OpenTelemetry's primitive and array values). */
export type SpanAttributeValue = string | number | boolean | readonly string[] | readonly number[];

/** Span attributes by name (`gen_ai.request.model`…). */
export type SpanAttributes = Record<string, SpanAttributeValue | undefined>;

/** What a span is about. */
export type SpanKind =
  | "session-turn"
  | "tool-loop-iteration"
  | "inference"
  | "tool"
  | "token-count"
  | "duplex-session";

/** An open span. */
export interface TraceSpan {
  setAttributes(attributes: SpanAttributes): void;
  /** A timestamped event on the span (`gen_ai.first_token`…). */
  addEvent(name: string, attributes?: SpanAttributes): void;
  /** Marks the span failed: status error, the exception, `error.type` (the error's code) and its fault. */
  recordError(error: unknown): void;
  end(): void;
}

/**
 * Opens spans. `parent` is the innermost geppetto span of the run, undefined at the top (an implementation then
 * uses its library's active context, so the spans nest under the application's own).
 *
 * @example
 * import { openTelemetryTracer } from "geppetto/otel";
 * const ctx = RunContext.background().withTracer(openTelemetryTracer({ captureContent: false }));
 */
export interface Tracer {
  /** Record prompts, completions, tool arguments and results on spans (off unless asked for: they may be private). */
  readonly captureContent: boolean;
  startSpan(
    name: string,
    kind: SpanKind,
    attributes: SpanAttributes,
    parent: TraceSpan | undefined,
  ): TraceSpan;
}

const CurrentSpan = contextKey<TraceSpan>("geppetto.current_span");

/**
 * Opens a span under the context's current one and returns it with the context to run its work in (whose
 * current span it is); undefined when the context has no tracer.
 *
 * @example
 * const opened = openSpan(ctx, "execute_tool calculator", "tool", { "gen_ai.tool.name": "calculator" });
 * try { await run(opened?.ctx ?? ctx); } finally { opened?.span.end(); }
 */
export function openSpan(
  ctx: RunContext,
  name: string,
  kind: SpanKind,
  attributes: SpanAttributes,
): { span: TraceSpan; ctx: RunContext } | undefined {
  const tracer = ctx.tracer;
  if (tracer === undefined) return undefined;
  const span = tracer.startSpan(name, kind, attributes, ctx.get(CurrentSpan));
  return { span, ctx: ctx.with(CurrentSpan, span) };
}

/**
 * Runs `work` inside a span (see {@link openSpan}): the span records a rejection and ends when `work` settles.
 * Without a tracer it only runs `work`.
 *
 * @example
 * const turn = await inSpan(ctx, "session_turn", "session-turn", {}, (spanCtx) => runner.run(input, spanCtx));
 */
export async function inSpan<T>(
  ctx: RunContext,
  name: string,
  kind: SpanKind,
  attributes: SpanAttributes,
  work: (ctx: RunContext, span: TraceSpan | undefined) => Promise<T>,
): Promise<T> {
  const opened = openSpan(ctx, name, kind, attributes);
  if (opened === undefined) return work(ctx, undefined);
  try {
    return await work(opened.ctx, opened.span);
  } catch (error) {
    opened.span.recordError(error);
    throw error;
  } finally {
    opened.span.end();
  }
}
