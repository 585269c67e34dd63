/**
 * The tool-result reorder middleware: before each inference, moves every `tool_use` block right after the run of
 * `tool_call` blocks that asked for it, the layout providers require.
 */
import { placeToolResults } from "../tools/results.ts";
import type { Middleware } from "./compose.ts";

/**
 * Reorders tool results next to their calls.
 *
 * @example
 * const engine = withMiddleware(base, toolResultReorderMiddleware());
 */
export function toolResultReorderMiddleware(): Middleware {
  return (next) => (turn, ctx) => next(placeToolResults(turn), ctx);
}
