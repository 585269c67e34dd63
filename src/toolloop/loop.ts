/**
 * The tool loop: inference → pending tool calls → execute → results next to their calls → inference again,
 * until the model answers without calling a tool, the loop is cancelled, a pause stops it, or `maxIterations`
 * inferences have run. The outcome is typed and also written on the Turn (`geppetto.tool_loop_outcome@v1`).
 */
import {
  type Engine,
  inferenceResultOf,
  KeyInferenceResult,
  type RunInferenceOptions,
  runInferenceWithResult,
} from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import {
  KeyInferenceConfig,
  KeyToolConfig,
  mergeConfig,
  type ToolConfig,
} from "../engine/inference-config.ts";
import { publish, type RunContext } from "../events/context.ts";
import { IterationSpans } from "../observability/iteration-spans.ts";
import {
  executeToolCalls,
  type ToolCallStatus,
  type ToolExecutionResult,
  type ToolExecutorConfig,
} from "../tools/executor.ts";
import { type ToolRegistry, toolRegistryFromContext, withToolRegistry } from "../tools/registry.ts";
import { appendToolResults, notExecutedResults } from "../tools/results.ts";
import { pendingToolCalls } from "../turns/builders.ts";
import { turnMetadataKey } from "../turns/keys.ts";
import type { ToolCallPayload, Turn } from "../turns/types.ts";
import { type SnapshotHook, takeSnapshot } from "./snapshot.ts";
import { deniedCalls, type StepController } from "./step-control.ts";
import {
  anyConditionHolds,
  type PrepareStep,
  type StepFinishCallback,
  type StepRecord,
  type StopCondition,
} from "./steps.ts";

/** How a tool loop ended. */
export type ToolLoopStatus = "completed" | "interrupted" | "max_iterations" | "stopped";

/** A tool loop's outcome. */
export interface ToolLoopOutcome {
  status: ToolLoopStatus;
  /** Inferences run. */
  iterations: number;
}

/** The outcome with the final Turn and every step. */
export interface ToolLoopResult extends ToolLoopOutcome {
  turn: Turn;
  /** One record per inference, in order. */
  steps: StepRecord[];
}

/**
 * Turn metadata: how the tool loop that produced this Turn ended.
 *
 * @example
 * KeyToolLoopOutcome.get(await handle.wait()) // { status: "completed", iterations: 2 }
 */
export const KeyToolLoopOutcome = turnMetadataKey<ToolLoopOutcome>("geppetto", "tool_loop_outcome", 1);

/** Frozen outcomes, one per status and count (up to 64 inferences), shared by the turns that end alike. */
const outcomes = new Map<string, ToolLoopOutcome>();

function outcomeOf(status: ToolLoopStatus, iterations: number): ToolLoopOutcome {
  if (iterations > 64) return { status, iterations };
  const key = `${status}:${iterations}`;
  let outcome = outcomes.get(key);
  if (outcome === undefined) {
    outcome = Object.freeze({ status, iterations });
    outcomes.set(key, outcome);
  }
  return outcome;
}

/** Loop settings. */
export interface ToolLoopConfig {
  /** Inferences allowed in one run. Default 10. */
  maxIterations?: number;
}

/** What a tool loop runs with. */
export interface ToolLoopOptions {
  engine: Engine;
  /** The tools; defaults to the registry on the context. Without one the loop runs a single inference. */
  registry?: ToolRegistry;
  tools?: ToolExecutorConfig;
  loop?: ToolLoopConfig;
  snapshotHook?: SnapshotHook;
  stepControl?: StepController;
  /** The engine's default structured output: each completed answer is validated (see `runInferenceWithResult`). */
  structuredOutput?: RunInferenceOptions["structuredOutput"];
  /** Ends the loop (status `stopped`) after a step whose tools ran, when any condition holds. */
  stopWhen?: StopCondition | readonly StopCondition[];
  /** Called after each step; the loop waits for it. */
  onStepFinish?: StepFinishCallback;
  /** Changes the engine, tools, tool choice or inference config of the next step only. */
  prepareStep?: PrepareStep;
}

/** The Turn and context of one step after `prepareStep`, and how to undo its per-step Turn data. */
interface PreparedStep {
  engine: Engine;
  turn: Turn;
  ctx: RunContext;
  restore: (out: Turn) => Turn;
}

async function prepare(
  options: ToolLoopOptions,
  registry: ToolRegistry | undefined,
  turn: Turn,
  ctx: RunContext,
  steps: StepRecord[],
): Promise<PreparedStep> {
  const preparation = await options.prepareStep?.({ steps, turn, stepNumber: steps.length + 1 });
  if (!preparation) return { engine: options.engine, turn, ctx, restore: (out) => out };
  let stepTurn = turn;
  const toolConfig = KeyToolConfig.get(turn);
  const inference = KeyInferenceConfig.get(turn);
  if (preparation.toolChoice !== undefined) {
    stepTurn = KeyToolConfig.set(stepTurn, mergeConfig(toolConfig, { toolChoice: preparation.toolChoice }));
  }
  if (preparation.inference) {
    stepTurn = KeyInferenceConfig.set(stepTurn, mergeConfig(inference, preparation.inference));
  }
  const restoreKey = <T>(out: Turn, key: typeof KeyToolConfig | typeof KeyInferenceConfig, value: T) =>
    value === undefined ? key.delete(out) : key.set(out, value as never);
  const restore = (out: Turn): Turn => {
    let restored = out;
    if (preparation.toolChoice !== undefined) restored = restoreKey(restored, KeyToolConfig, toolConfig);
    if (preparation.inference) restored = restoreKey(restored, KeyInferenceConfig, inference);
    return restored;
  };
  const stepCtx =
    preparation.activeTools && registry ? withToolRegistry(ctx, registry.only(preparation.activeTools)) : ctx;
  return { engine: preparation.engine ?? options.engine, turn: stepTurn, ctx: stepCtx, restore };
}

function newText(before: Turn, after: Turn): string {
  const known = new Set(before.blocks.map((block) => block.id));
  let text = "";
  for (const block of after.blocks)
    if (block.kind === "llm_text" && !known.has(block.id)) text += block.payload.text;
  return text;
}

function stepRecord(
  stepNumber: number,
  before: Turn,
  answered: Turn,
  pending: ToolCallPayload[],
  results: ToolExecutionResult[],
): StepRecord {
  const result = inferenceResultOf(answered);
  return {
    stepNumber,
    turn: answered,
    text: newText(before, answered),
    toolCalls: pending,
    toolResults: results,
    ...(result.usage ? { usage: result.usage } : {}),
    finishClass: result.finishClass,
    result,
  };
}

function withToolConfig(turn: Turn, tools: ToolExecutorConfig | undefined): Turn {
  if (!tools) return turn;
  const fromExecutor: ToolConfig = {};
  if (tools.toolChoice !== undefined) fromExecutor.toolChoice = tools.toolChoice;
  if (tools.allowedTools !== undefined) fromExecutor.allowedTools = [...tools.allowedTools];
  if (tools.maxParallelTools === 1) fromExecutor.parallelToolCalls = false;
  if (Object.keys(fromExecutor).length === 0) return turn;
  return KeyToolConfig.set(turn, mergeConfig(KeyToolConfig.get(turn), fromExecutor));
}

/**
 * Cancelled outside the engine (during tools, a pause or a snapshot): the engine published no `interrupt`, so
 * the loop does, and the latest inference result says `interrupted`.
 */
function markInterrupted(turn: Turn, ctx: RunContext): Turn {
  const result = KeyInferenceResult.get(turn);
  publish(ctx, { type: "interrupt", text: "" });
  return KeyInferenceResult.set(turn, {
    ...(result ?? { provider: "unknown" }),
    finishClass: "interrupted",
    truncated: true,
  });
}

/** What the model reads for a call the loop never ran, by why the loop ended. */
const NOT_EXECUTED = {
  interrupted: "cancelled: the run was cancelled before this tool ran",
  stopped: "not executed: the run was stopped before this tool ran",
} as const;

/**
 * Every tool call of the Turn left without a result gets one saying it never ran, so the Turn stays valid for
 * every provider (each rejects a call without its result) and the model knows what happened.
 */
function answerNotExecuted(turn: Turn, status: ToolCallStatus, reason: string, ctx: RunContext): Turn {
  const missing = notExecutedResults(turn, status, reason);
  return missing.length === 0 ? turn : appendToolResults(turn, missing, ctx);
}

function denialResults(denied: Map<string, string>, turn: Turn): Map<string, ToolExecutionResult> {
  const out = new Map<string, ToolExecutionResult>();
  for (const block of pendingToolCalls(turn)) {
    const reason = denied.get(block.payload.id);
    if (reason === undefined) continue;
    out.set(block.payload.id, {
      toolCallId: block.payload.id,
      name: block.payload.name,
      status: "denied",
      result: null,
      error: `the user denied this tool call: ${reason}`,
      attempts: 0,
      durationMs: 0,
    });
  }
  return out;
}

/**
 * Runs the tool loop. Each inference goes through `runInferenceWithResult`, so every Turn carries an
 * InferenceResult and structured output is validated. Rejects only when the engine fails (the error's `turn`
 * keeps the partial output), structured output breaks its schema under `requireValid` (ModelOutputError), or a
 * tool fails under `errorPolicy: "abort"` ({@link ToolExecutionAbortedError}, its `turn` keeps the finished
 * results).
 *
 * @example
 * const { turn, status } = await runToolLoop(input, ctx, { engine, registry, loop: { maxIterations: 5 } });
 * if (status === "max_iterations") console.warn("the model kept calling tools");
 */
export async function runToolLoop(
  input: Turn,
  ctx: RunContext,
  options: ToolLoopOptions,
): Promise<ToolLoopResult> {
  const spans = new IterationSpans();
  try {
    return await runLoop(input, ctx, options, spans);
  } catch (error) {
    spans.fail(error);
    throw error;
  } finally {
    spans.close();
  }
}

async function runLoop(
  input: Turn,
  ctx: RunContext,
  options: ToolLoopOptions,
  spans: IterationSpans,
): Promise<ToolLoopResult> {
  const registry = options.registry ?? toolRegistryFromContext(ctx);
  const allowed = options.tools?.allowedTools;
  const offered = registry && allowed ? registry.only(allowed) : registry;
  const loopCtx = offered ? withToolRegistry(ctx, offered) : ctx;
  const maxIterations = Math.max(1, options.loop?.maxIterations ?? 10);
  const steps = options.stepControl;
  let turn = withToolConfig(input, options.tools);
  const inferenceOptions: RunInferenceOptions = options.structuredOutput
    ? { structuredOutput: options.structuredOutput }
    : {};
  let iterations = 0;
  let engineInterrupted = false;
  const records: StepRecord[] = [];
  const end = (status: ToolLoopStatus): ToolLoopResult => {
    if (status === "interrupted" || status === "stopped") {
      const reason = NOT_EXECUTED[status];
      turn = answerNotExecuted(
        turn,
        status === "interrupted" ? "cancelled" : "not_executed",
        reason,
        loopCtx,
      );
    }
    if (status === "interrupted" && !engineInterrupted) turn = markInterrupted(turn, loopCtx);
    const outcome = outcomeOf(status, iterations);
    return { ...outcome, turn: KeyToolLoopOutcome.set(turn, outcome), steps: records };
  };

  while (iterations < maxIterations) {
    if (ctx.signal.aborted) return end("interrupted");
    await takeSnapshot(loopCtx, turn, "pre_inference", options.snapshotHook);
    iterations++;
    const stepCtx = spans.next(loopCtx, iterations);
    const before = turn;
    try {
      const step = await prepare(options, offered, turn, stepCtx, records);
      turn = step.restore(
        (await runInferenceWithResult(step.engine, step.turn, step.ctx, inferenceOptions)).turn,
      );
    } catch (error) {
      // The partial Turn the error keeps may hold calls streamed before the failure: they never ran.
      if (GeppettoError.is(error) && error.turn) {
        const reason = `not executed: the inference failed before this tool ran (${error.code})`;
        error.turn = answerNotExecuted(error.turn, "not_executed", reason, loopCtx);
      }
      throw error;
    }
    await takeSnapshot(loopCtx, turn, "post_inference", options.snapshotHook);
    engineInterrupted = KeyInferenceResult.get(turn)?.finishClass === "interrupted";
    if (ctx.signal.aborted || engineInterrupted) {
      records.push(stepRecord(iterations, before, turn, [], []));
      return end("interrupted");
    }
    const pending = pendingToolCalls(turn);
    if (pending.length === 0 || !registry) {
      records.push(stepRecord(iterations, before, turn, [], []));
      await options.onStepFinish?.(records.at(-1)!);
      return end("completed");
    }

    let predecided = new Map<string, ToolExecutionResult>();
    if (steps?.pausesAt("after_inference")) {
      const outcome = await steps.wait(
        "after_inference",
        turn,
        pending.map((block) => block.payload),
        loopCtx,
      );
      if ("cancelled" in outcome) return end("interrupted");
      if (outcome.decision.stop) return end("stopped");
      predecided = denialResults(
        deniedCalls(
          outcome.decision,
          pending.map((block) => block.payload),
        ),
        turn,
      );
    }
    const batch = await executeToolCalls(
      pending.map((block) => block.payload),
      stepCtx,
      { registry, predecided, ...(options.tools ? { config: options.tools } : {}) },
    );
    const answered = turn;
    turn = appendToolResults(turn, batch.results, loopCtx);
    await takeSnapshot(loopCtx, turn, "post_tools", options.snapshotHook);
    const calls = pending.map((block) => block.payload);
    records.push({ ...stepRecord(iterations, before, answered, calls, batch.results), turn });
    if (batch.aborted) {
      const reason = `not executed: tool "${batch.aborted.failed.name}" failed first and the error policy is abort`;
      turn = answerNotExecuted(turn, "not_executed", reason, loopCtx);
      batch.aborted.turn = end("stopped").turn;
      throw batch.aborted;
    }
    if (ctx.signal.aborted) return end("interrupted");
    if (steps?.pausesAt("after_tools")) {
      const outcome = await steps.wait("after_tools", turn, [], loopCtx);
      if ("cancelled" in outcome) return end("interrupted");
      if (outcome.decision.stop) return end("stopped");
    }
    await options.onStepFinish?.(records.at(-1)!);
    if (await anyConditionHolds(options.stopWhen, { steps: records, turn })) return end("stopped");
  }
  return end("max_iterations");
}

/**
 * The tool loop as an Engine (so middleware and sessions can wrap it). `runInference` resolves with the final
 * Turn; read {@link KeyToolLoopOutcome} on it for the status.
 *
 * @example
 * const engine = new ToolLoopEngine({ engine: base, registry });
 * const out = await engine.runInference(turn, ctx);
 * KeyToolLoopOutcome.get(out)?.status // "completed"
 */
export class ToolLoopEngine implements Engine {
  constructor(readonly options: ToolLoopOptions) {}

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    return (await runToolLoop(turn, ctx, this.options)).turn;
  }
}
