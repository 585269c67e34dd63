/**
 * Executes the model's tool calls against a registry: validated arguments, a real per-call time limit (the
 * tool's signal aborts and the call ends as a timeout even if the tool ignores its signal), bounded
 * parallelism, retries with exponential backoff, and an error policy. Whatever the model got wrong (an unknown
 * tool, arguments that are not JSON or break the schema, a tool it may not use) becomes an error result the
 * model sees; it never throws.
 */

import { GeppettoError, TimeoutError } from "../engine/errors.ts";
import type { ToolChoice } from "../engine/inference-config.ts";
import { formatIssues } from "../engine/validation.ts";
import { publish, type RunContext } from "../events/context.ts";
import { endToolSpan, openToolSpan } from "../observability/tool-span.ts";
import type { JsonValue } from "../turns/json.ts";
import type { ToolCallPayload } from "../turns/types.ts";
import { jsonResultOf } from "./json-result.ts";
import type { ToolRegistry } from "./registry.ts";

/** What happens when a tool throws or times out. */
export type ToolErrorPolicy = "continue" | "abort" | "retry";

/** Executor settings. Every field is optional. */
export interface ToolExecutorConfig {
  /** Time limit per call attempt; the tool's signal aborts when it is reached. Default 60 000 ms. 0 = none. */
  executionTimeoutMs?: number;
  /** Calls run at the same time. Default 4; 1 runs them one after another. */
  maxParallelTools?: number;
  /**
   * `continue` (default): a failure becomes an error result and the loop goes on; `retry`: retried up to
   * `maxRetries` times with backoff, then an error result; `abort`: no new call starts, the tool loop stops with a
   * {@link ToolExecutionAbortedError} whose Turn keeps every finished result.
   * Model mistakes (unknown tool, invalid arguments, disallowed tool) are never retried nor abort.
   */
  errorPolicy?: ToolErrorPolicy;
  /** Retries after the first attempt with `errorPolicy: "retry"`. Default 2. */
  maxRetries?: number;
  /** First backoff; doubles on each retry, capped at 30 s. Default 200 ms. */
  retryBackoffMs?: number;
  /** Only these tools may run (and are offered to the model by the tool loop). */
  allowedTools?: readonly string[];
  /** `none` refuses every call; other values are passed to the engine through the turn's ToolConfig. */
  toolChoice?: ToolChoice;
}

/** How one call ended. */
export type ToolCallStatus =
  | "ok"
  | "error"
  | "timeout"
  | "cancelled"
  | "invalid_arguments"
  | "unknown_tool"
  | "not_allowed"
  | "denied"
  | "not_executed";

/** The outcome of one tool call. */
export interface ToolExecutionResult {
  toolCallId: string;
  name: string;
  status: ToolCallStatus;
  /** The tool's result as JSON (`null` on error). */
  result: JsonValue;
  /** What went wrong, as the model will read it. */
  error?: string;
  attempts: number;
  durationMs: number;
}

/**
 * The tool loop stopped because a tool failed under `errorPolicy: "abort"`. `turn` keeps the finished results.
 *
 * @example
 * catch (error) { if (error instanceof ToolExecutionAbortedError) save(error.turn, error.failed.name) }
 */
export class ToolExecutionAbortedError extends GeppettoError {
  override name = "ToolExecutionAbortedError";
  constructor(
    message: string,
    readonly failed: ToolExecutionResult,
  ) {
    super(message, { code: "tool_execution_aborted", fault: "caller" });
  }
}

const DEFAULTS = { executionTimeoutMs: 60_000, maxParallelTools: 4, maxRetries: 2, retryBackoffMs: 200 };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or rejects with the signal's reason; leaves no timer behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Options of {@link executeToolCalls}. */
export interface ExecuteToolCallsOptions {
  registry: ToolRegistry;
  config?: ToolExecutorConfig;
  /** Calls already decided (denied at a step-control pause, say): reported as given, not executed. */
  predecided?: ReadonlyMap<string, ToolExecutionResult>;
}

/** The results in call order, and the abort when the policy stopped the batch. */
export interface ToolBatchOutcome {
  results: ToolExecutionResult[];
  aborted?: ToolExecutionAbortedError;
}

/**
 * Runs a batch of tool calls. Results come back in call order; under `abort` (or cancellation) calls that
 * never started have no result here (the tool loop gives them one saying they never ran).
 *
 * @example
 * const { results } = await executeToolCalls(pendingToolCalls(turn).map((b) => b.payload), ctx, { registry });
 */
export async function executeToolCalls(
  calls: readonly ToolCallPayload[],
  ctx: RunContext,
  options: ExecuteToolCallsOptions,
): Promise<ToolBatchOutcome> {
  const config = { ...DEFAULTS, ...options.config };
  const results: (ToolExecutionResult | undefined)[] = new Array(calls.length);
  let aborted: ToolExecutionAbortedError | undefined;
  let next = 0;
  const worker = async () => {
    while (next < calls.length && !aborted && !ctx.signal.aborted) {
      const index = next++;
      const call = calls[index]!;
      const result =
        options.predecided?.get(call.id) ?? (await executeOne(call, ctx, options.registry, config));
      results[index] = result;
      if (
        config.errorPolicy === "abort" &&
        (result.status === "error" || result.status === "timeout") &&
        !aborted
      ) {
        aborted = new ToolExecutionAbortedError(`tool "${result.name}" failed: ${result.error}`, result);
      }
    }
  };
  const parallel = Math.max(1, Math.min(config.maxParallelTools, calls.length));
  await Promise.all(Array.from({ length: parallel }, worker));
  const finished = results.filter((result): result is ToolExecutionResult => result !== undefined);
  return aborted ? { results: finished, aborted } : { results: finished };
}

function refusal(call: ToolCallPayload, status: ToolCallStatus, error: string): ToolExecutionResult {
  return { toolCallId: call.id, name: call.name, status, result: null, error, attempts: 0, durationMs: 0 };
}

async function executeOne(
  call: ToolCallPayload,
  ctx: RunContext,
  registry: ToolRegistry,
  config: ToolExecutorConfig & typeof DEFAULTS,
): Promise<ToolExecutionResult> {
  const tool = registry.get(call.name);
  if (config.toolChoice === "none")
    return refusal(call, "not_allowed", "tool calls are disabled (tool choice none)");
  if (!tool) {
    const known = registry.list().map((each) => each.name);
    return refusal(
      call,
      "unknown_tool",
      `unknown tool "${call.name}" (available: ${known.join(", ") || "none"})`,
    );
  }
  if (config.allowedTools && !config.allowedTools.includes(call.name)) {
    return refusal(call, "not_allowed", `tool "${call.name}" is not allowed here`);
  }
  if (call.argsText !== undefined) {
    return refusal(
      call,
      "invalid_arguments",
      `arguments are not a JSON object: ${call.argsText.slice(0, 200)}`,
    );
  }
  const input = await tool.validateInput(call.args);
  if (!input.ok)
    return refusal(
      call,
      "invalid_arguments",
      `invalid arguments for "${call.name}": ${formatIssues(input.issues)}`,
    );

  const traced = openToolSpan(ctx, call);
  const toolCtx = traced?.ctx ?? ctx;
  publish(ctx, {
    type: "tool-call-execute",
    toolCall: { id: call.id, name: call.name, input: call.args },
  });
  const started = performance.now();
  const maxAttempts = config.errorPolicy === "retry" ? 1 + Math.max(0, config.maxRetries) : 1;
  let outcome: Pick<ToolExecutionResult, "status" | "result" | "error"> = { status: "error", result: null };
  let attempts = 0;
  while (attempts < maxAttempts) {
    if (attempts > 0) {
      const backoff = Math.min(30_000, config.retryBackoffMs * 2 ** (attempts - 1));
      try {
        await sleep(backoff, ctx.signal);
      } catch {
        break;
      }
    }
    attempts++;
    outcome = await attempt(tool, input.value, call, toolCtx, config.executionTimeoutMs);
    if (outcome.status === "ok" || outcome.status === "cancelled") break;
  }
  if (ctx.signal.aborted && outcome.status !== "ok")
    outcome = { status: "cancelled", result: null, error: "cancelled" };
  const result: ToolExecutionResult = {
    toolCallId: call.id,
    name: call.name,
    ...outcome,
    attempts,
    durationMs: Math.round(performance.now() - started),
  };
  if (traced) endToolSpan(traced.span, result, ctx.tracer?.captureContent === true);
  publish(ctx, {
    type: "tool-call-execution-result",
    toolResult: {
      id: call.id,
      name: call.name,
      result: result.result,
      durationMs: result.durationMs,
      ...(result.error === undefined ? {} : { error: result.error }),
    },
  });
  return result;
}

async function attempt(
  tool: NonNullable<ReturnType<ToolRegistry["get"]>>,
  args: unknown,
  call: ToolCallPayload,
  ctx: RunContext,
  timeoutMs: number,
): Promise<Pick<ToolExecutionResult, "status" | "result" | "error">> {
  const controller = new AbortController();
  const signal = AbortSignal.any([ctx.signal, controller.signal]);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  stopped.catch(() => {});
  if (timeoutMs > 0) {
    timer = setTimeout(() => {
      controller.abort(new TimeoutError(`tool "${call.name}" timed out after ${timeoutMs} ms`, "tool"));
    }, timeoutMs);
  }
  try {
    const running = Promise.resolve().then(() => tool.execute(args, { signal, toolCallId: call.id, ctx }));
    running.catch(() => {});
    const value = await Promise.race([running, stopped]);
    const output = await tool.validateOutput(value);
    if (!output.ok)
      return {
        status: "error",
        result: null,
        error: `invalid result from "${call.name}": ${formatIssues(output.issues)}`,
      };
    const json = jsonResultOf(value);
    if (!json.ok) {
      return {
        status: "error",
        result: null,
        error: `tool "${call.name}" returned a result that is not JSON: ${json.path} is ${json.problem}`,
      };
    }
    return { status: "ok", result: json.value };
  } catch (error) {
    if (ctx.signal.aborted) return { status: "cancelled", result: null, error: "cancelled" };
    if (controller.signal.aborted)
      return { status: "timeout", result: null, error: errorMessage(controller.signal.reason) };
    return { status: "error", result: null, error: errorMessage(error) };
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
