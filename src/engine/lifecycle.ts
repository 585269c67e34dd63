/**
 * The lifecycle every engine shares: start, produce, then finish, interrupt on abort, or fail — exactly once.
 */
import type { RunContext } from "../events/context.ts";
import type { Turn } from "../turns/types.ts";
import { GeppettoError } from "./errors.ts";
import { InferenceOutput, type InferenceOutputOptions } from "./output.ts";

/** True when `error` is the abort of `signal` (the caller cancelled), not some other failure. */
export function isAbort(error: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  if (error === signal.reason) return true;
  const name = (error as { name?: string } | null)?.name;
  return name === "AbortError" || (GeppettoError.is(error) && error.code === "aborted");
}

/** What {@link runWithOutput} needs besides the provider and model. */
export interface RunWithOutputOptions extends InferenceOutputOptions {
  /** Published as `log` warnings right after `start` (settings the request builder had to drop, say). */
  warnings?: readonly string[];
}

/**
 * The lifecycle every engine shares: creates the InferenceOutput, publishes `start` (and any warnings), runs
 * `produce`, then ends the output exactly once — `finish()` when `produce` completes, `interrupt()` when the
 * caller aborted (whatever `produce` threw then, it threw because of the abort), `fail()` on any other error.
 * `produce` reports a stream that ended early by throwing (a retryable ProviderError, say).
 *
 * @example
 * return runWithOutput(ctx, turn, { provider: "acme", model }, async (out) => {
 *   const response = await transport.stream({ path: "/chat", body, signal: ctx.signal });
 *   await response.sse((data) => handler.handle(JSON.parse(data)));
 * });
 */
export async function runWithOutput(
  ctx: RunContext,
  turn: Turn,
  options: RunWithOutputOptions,
  produce: (out: InferenceOutput) => Promise<void>,
): Promise<Turn> {
  const out = new InferenceOutput(ctx, turn, options);
  out.start();
  for (const message of options.warnings ?? []) out.warn(message);
  try {
    await produce(out);
  } catch (error) {
    if (ctx.signal.aborted || isAbort(error, ctx.signal)) return out.interrupt();
    throw out.fail(error);
  }
  return out.finish();
}
