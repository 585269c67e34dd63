/**
 * Middleware: `(next) => (turn, ctx) => Promise<Turn>`. A middleware may change the Turn before calling `next`,
 * change what `next` returns, or not call `next` at all. The first middleware in the list is the outermost.
 */
import type { Engine } from "../engine/engine.ts";
import type { RunContext } from "../events/context.ts";
import type { Turn } from "../turns/types.ts";

/** Runs one inference (an engine's `runInference`, or the next middleware). */
export type InferenceHandler = (turn: Turn, ctx: RunContext) => Promise<Turn>;

/** Wraps a handler. */
export type Middleware = (next: InferenceHandler) => InferenceHandler;

/**
 * Composes middlewares into one; the first is the outermost.
 *
 * @example
 * const handler = composeMiddleware(logging, systemPrompt)((turn, ctx) => engine.runInference(turn, ctx));
 */
export function composeMiddleware(...middlewares: Middleware[]): Middleware {
  return (next) => middlewares.reduceRight((inner, middleware) => middleware(inner), next);
}

/**
 * An engine whose inferences go through the middlewares.
 *
 * @example
 * const engine = withMiddleware(base, systemPromptMiddleware("Be brief."), loggingMiddleware());
 */
export function withMiddleware(engine: Engine, ...middlewares: Middleware[]): Engine {
  if (middlewares.length === 0) return engine;
  const handler = composeMiddleware(...middlewares)((turn, ctx) => engine.runInference(turn, ctx));
  return { runInference: handler };
}
