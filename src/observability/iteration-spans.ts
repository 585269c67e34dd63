/**
 * The spans of a tool loop's iterations: one `tool_loop_iteration {n}` span per inference and the tool calls it
 * asked for, each ending when the next begins or the loop ends (failed when the loop throws).
 */
import type { RunContext } from "../events/context.ts";
import { openSpan, type TraceSpan } from "./tracing.ts";

/**
 * Tracks the open iteration span of one tool loop; does nothing without a tracer.
 *
 * @example
 * const spans = new IterationSpans();
 * const stepCtx = spans.next(loopCtx, 1); // run the inference and its tools in stepCtx
 * spans.close();
 */
export class IterationSpans {
  #span: TraceSpan | undefined;

  /** Ends the previous iteration's span and opens iteration `iteration`'s; returns the context to run it in. */
  next(ctx: RunContext, iteration: number): RunContext {
    this.close();
    const opened = openSpan(ctx, `tool_loop_iteration ${iteration}`, "tool-loop-iteration", {
      "geppetto.tool_loop.iteration": iteration,
    });
    if (opened === undefined) return ctx;
    this.#span = opened.span;
    return opened.ctx;
  }

  /** Records the loop's failure on the open iteration. */
  fail(error: unknown): void {
    this.#span?.recordError(error);
  }

  /** Ends the open iteration, if any. */
  close(): void {
    this.#span?.end();
    this.#span = undefined;
  }
}
