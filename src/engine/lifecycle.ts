/**
 * The lifecycle every engine shares: start, produce, then finish, interrupt on abort, or fail — exactly once.
 */
import type { RunContext } from "../events/context.ts";
import type * as InferenceObserverModule from "../observability/inference-observer.ts";
import { type InferenceScope, responseExtra, runInInferenceScope } from "../observability/inference-scope.ts";
import { logEnabled } from "../observability/logger.ts";
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

/**
 * The inference observer (span and debug lines), loaded the first time a context traces or logs at debug: an
 * inference without either, and importing the core, never load it (nor the tracing helpers it uses).
 */
let observerModule: Promise<typeof InferenceObserverModule> | undefined;

function loadObserver(): Promise<typeof InferenceObserverModule> {
  observerModule ??= import("../observability/inference-observer.ts");
  return observerModule;
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
  // The span and debug lines, when the context traces or logs at debug; the transport finds the scope itself.
  const observer =
    ctx.tracer === undefined && !logEnabled(ctx.logger, "debug")
      ? undefined
      : (await loadObserver()).observeInference(ctx, turn, options.provider, options.model);
  const runCtx = observer?.ctx ?? ctx;
  const scope: InferenceScope = {
    ctx: runCtx,
    provider: options.provider,
    model: options.model,
    requests: 0,
  };
  const out = new InferenceOutput(runCtx, turn, options);
  out.start();
  for (const message of options.warnings ?? []) out.warn(message);
  let ended: Turn;
  try {
    await runInInferenceScope(scope, () => produce(out));
  } catch (error) {
    out.responseExtra(responseExtra(scope));
    if (!(ctx.signal.aborted || isAbort(error, ctx.signal))) {
      const failure = out.fail(error);
      observer?.fail(failure, scope);
      throw failure;
    }
    ended = out.interrupt();
    observer?.end(ended, scope);
    return ended;
  }
  out.responseExtra(responseExtra(scope));
  ended = out.finish();
  observer?.end(ended, scope);
  return ended;
}
