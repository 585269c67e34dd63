/**
 * `geppetto/otel`: geppetto's spans on OpenTelemetry. `openTelemetryTracer()` implements the run context's
 * `Tracer` on `@opentelemetry/api` (an optional peer dependency: install it, and an SDK, to trace; the core never
 * loads it). Spans follow the GenAI semantic conventions and nest: session turn → tool-loop iteration →
 * inference (`chat {model}`) and tool calls (`execute_tool {name}`); the top one is a child of the active
 * OpenTelemetry context, so it joins the application's own trace.
 *
 * @example
 * import { trace } from "@opentelemetry/api";
 * import { openTelemetryTracer } from "geppetto/otel";
 * const ctx = RunContext.background().withTracer(openTelemetryTracer({ tracer: trace.getTracer("my-app") }));
 */
import {
  type Attributes,
  context,
  SpanKind as OtelSpanKind,
  type Tracer as OtelTracer,
  type Span,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { GeppettoError } from "../../engine/errors.ts";
import { errorAttributes } from "../inference-observer.ts";
import type { SpanAttributes, SpanKind, Tracer, TraceSpan } from "../tracing.ts";

/** Options of {@link openTelemetryTracer}. */
export interface OpenTelemetryTracerOptions {
  /** The OpenTelemetry tracer; default `trace.getTracer("geppetto")` of the global provider. */
  tracer?: OtelTracer;
  /**
   * Record prompts, completions, tool arguments and results (`gen_ai.input.messages`, `gen_ai.output.messages`,
   * `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`). Off by default: they may hold private data.
   */
  captureContent?: boolean;
}

function attributesOf(attributes: SpanAttributes): Attributes {
  const out: Attributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) out[name] = value as Attributes[string];
  }
  return out;
}

class OpenTelemetrySpan implements TraceSpan {
  constructor(readonly span: Span) {}
  setAttributes(attributes: SpanAttributes): void {
    this.span.setAttributes(attributesOf(attributes));
  }
  addEvent(name: string, attributes?: SpanAttributes): void {
    this.span.addEvent(name, attributes ? attributesOf(attributes) : undefined);
  }
  recordError(error: unknown): void {
    const exception = error instanceof Error ? error : new Error(String(error));
    this.span.recordException(exception);
    this.span.setAttributes(attributesOf(errorAttributes(error)));
    const message = GeppettoError.is(error) ? `${error.code}: ${error.message}` : exception.message;
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  end(): void {
    this.span.end();
  }
}

/**
 * A `Tracer` for the run context that records geppetto's spans with OpenTelemetry.
 *
 * @example
 * const ctx = RunContext.background().withTracer(openTelemetryTracer({ captureContent: true }));
 * await engine.runInference(turn, ctx); // one `chat gpt-4o-mini` span
 */
export function openTelemetryTracer(options: OpenTelemetryTracerOptions = {}): Tracer {
  const tracer = options.tracer ?? trace.getTracer("geppetto");
  return {
    captureContent: options.captureContent === true,
    startSpan(name: string, kind: SpanKind, attributes: SpanAttributes, parent: TraceSpan | undefined) {
      const parentContext =
        parent instanceof OpenTelemetrySpan ? trace.setSpan(context.active(), parent.span) : context.active();
      const span = tracer.startSpan(
        name,
        {
          kind: kind === "inference" || kind === "token-count" ? OtelSpanKind.CLIENT : OtelSpanKind.INTERNAL,
          attributes: attributesOf(attributes),
        },
        parentContext,
      );
      return new OpenTelemetrySpan(span);
    },
  };
}
