/**
 * The inference in progress, as the shared HTTP transport sees it: `runWithOutput` runs each engine's work inside
 * a scope (AsyncLocalStorage), so the transport logs and publishes `status` events to the right run context
 * without every provider passing the context down. On Node 24 a scope costs nothing per await.
 */
import type { AsyncLocalStorage } from "node:async_hooks";
import type { RunContext } from "../events/context.ts";
import type { JsonValue } from "../turns/json.ts";

/**
 * One inference: its context, and what the transport learnt from the last response (status, request id, the
 * rate-limit and provider headers).
 */
export interface InferenceScope {
  readonly ctx: RunContext;
  readonly provider: string;
  readonly model: string | undefined;
  /** HTTP requests sent (retries included). */
  requests: number;
  status?: number;
  requestId?: string;
  rateLimit?: Record<string, string>;
  providerHeaders?: Record<string, string>;
}

// Made on first use: importing the core does not load node:async_hooks.
let storage: AsyncLocalStorage<InferenceScope> | undefined;

/**
 * Runs `work` with `scope` as the current inference.
 *
 * @example
 * await runInInferenceScope({ ctx, provider: "openai", model, requests: 0 }, () => produce(out));
 */
export function runInInferenceScope<T>(scope: InferenceScope, work: () => T): T {
  storage ??= new (process.getBuiltinModule("node:async_hooks").AsyncLocalStorage)<InferenceScope>();
  return storage.run(scope, work);
}

/**
 * The current inference, when the caller runs inside one.
 *
 * @example
 * currentInferenceScope()?.ctx.logger.log("debug", "request", { provider });
 */
export function currentInferenceScope(): InferenceScope | undefined {
  return storage?.getStore();
}

/**
 * What the scope's last response said, as `meta.extra` of the ending event: `response` (HTTP status, request id,
 * requests sent), `rateLimit` and `providerHeaders`; undefined when no response came.
 *
 * @example
 * responseExtra(scope) // { response: { status: 200, requestId: "req_1", requests: 1 }, rateLimit: { … } }
 */
export function responseExtra(scope: InferenceScope): Record<string, JsonValue> | undefined {
  if (scope.status === undefined) return undefined;
  const response: Record<string, JsonValue> = { status: scope.status, requests: scope.requests };
  if (scope.requestId !== undefined) response.requestId = scope.requestId;
  const extra: Record<string, JsonValue> = { response };
  if (scope.rateLimit !== undefined) extra.rateLimit = scope.rateLimit;
  if (scope.providerHeaders !== undefined) extra.providerHeaders = scope.providerHeaders;
  return extra;
}
