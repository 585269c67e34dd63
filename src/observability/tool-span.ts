/**
 * The `execute_tool {name}` span of one tool call (GenAI semantic conventions: `gen_ai.tool.name`,
 * `gen_ai.tool.call.id`; arguments and result only when the tracer captures content).
 */
import type { RunContext } from "../events/context.ts";
import type { ToolCallPayload } from "../turns/types.ts";
import { openSpan, type TraceSpan } from "./tracing.ts";

/** What a finished call reports to its span (the executor's result). */
export interface ToolSpanResult {
  status: string;
  result: unknown;
  error?: string;
  attempts: number;
}

/**
 * Opens the span of a tool call, undefined without a tracer.
 *
 * @example
 * const traced = openToolSpan(ctx, call); // ... endToolSpan(traced.span, result, false)
 */
export function openToolSpan(
  ctx: RunContext,
  call: ToolCallPayload,
): { span: TraceSpan; ctx: RunContext } | undefined {
  const opened = openSpan(ctx, `execute_tool ${call.name}`, "tool", {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": call.name,
    "gen_ai.tool.call.id": call.id,
    "gen_ai.tool.type": "function",
  });
  if (opened && ctx.tracer?.captureContent)
    opened.span.setAttributes({ "gen_ai.tool.call.arguments": JSON.stringify(call.args) });
  return opened;
}

/** Ends a tool call's span: its status, attempts, the error (as the span's error) and, when captured, the result. */
export function endToolSpan(span: TraceSpan, result: ToolSpanResult, captureContent: boolean): void {
  span.setAttributes({ "geppetto.tool.status": result.status, "geppetto.tool.attempts": result.attempts });
  if (captureContent)
    span.setAttributes({ "gen_ai.tool.call.result": JSON.stringify(result.result) ?? "null" });
  if (result.status !== "ok") {
    const error = new Error(result.error ?? result.status);
    error.name = `tool_${result.status}`;
    span.recordError(error);
  }
  span.end();
}
