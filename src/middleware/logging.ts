/**
 * The logging middleware: one line when an inference starts and one when it ends (or fails), as a `log` event
 * on the context's sinks or through a logger function.
 */
import { KeyInferenceResult } from "../engine/engine.ts";
import { publish, type RunContext } from "../events/context.ts";
import type { LogEvent } from "../events/types.ts";
import type { JsonValue } from "../turns/json.ts";
import type { Middleware } from "./compose.ts";

/** Receives log lines instead of the event stream. */
export type Logger = (level: LogEvent["level"], message: string, fields: Record<string, JsonValue>) => void;

/**
 * Logs each inference.
 *
 * @example
 * const engine = withMiddleware(base, loggingMiddleware());                        // log events
 * const quiet = withMiddleware(base, loggingMiddleware((level, message) => lines.push(message)));
 */
export function loggingMiddleware(logger?: Logger): Middleware {
  const log = (
    ctx: RunContext,
    level: LogEvent["level"],
    message: string,
    fields: Record<string, JsonValue>,
  ) => {
    if (logger) logger(level, message, fields);
    else publish(ctx, { type: "log", level, message, fields });
  };
  return (next) => async (turn, ctx) => {
    const started = performance.now();
    log(ctx, "debug", "inference started", { turnId: turn.id, blocks: turn.blocks.length });
    try {
      const out = await next(turn, ctx);
      const result = KeyInferenceResult.get(out);
      log(ctx, "info", "inference finished", {
        turnId: out.id,
        blocks: out.blocks.length,
        finishClass: result?.finishClass ?? "unknown",
        durationMs: Math.round(performance.now() - started),
      });
      return out;
    } catch (error) {
      log(ctx, "error", `inference failed: ${error instanceof Error ? error.message : String(error)}`, {
        turnId: turn.id,
        durationMs: Math.round(performance.now() - started),
      });
      throw error;
    }
  };
}
