/**
 * Per-step control of the tool loop: what one step (an inference plus the tools it called) records, conditions
 * that end the loop after a step (`stopWhen`), a callback after each step (`onStepFinish`), and a hook that
 * changes the model, the tools, the tool choice or the inference config before a step (`prepareStep`).
 */
import type { Engine, FinishClass, InferenceResult } from "../engine/engine.ts";
import type { InferenceConfig, ToolChoice } from "../engine/inference-config.ts";
import type { Usage } from "../events/types.ts";
import type { ToolExecutionResult } from "../tools/executor.ts";
import type { ToolCallPayload, Turn } from "../turns/types.ts";

/**
 * One step of the tool loop: one inference and the tool calls it made, with their results.
 *
 * @example
 * for (const step of steps) console.log(step.stepNumber, step.toolCalls.map((call) => call.name), step.usage);
 */
export interface StepRecord {
  /** 1 for the first inference. */
  stepNumber: number;
  /** The Turn after this step (after its tools ran, when it called any). */
  turn: Turn;
  /** The answer text this step's inference added. */
  text: string;
  /** The tool calls the model made in this step. */
  toolCalls: ToolCallPayload[];
  /** Their results (denied and failed calls included), in call order. */
  toolResults: ToolExecutionResult[];
  usage?: Usage;
  finishClass: FinishClass;
  /** The step's normalized inference result. */
  result: InferenceResult;
}

/**
 * What a stop condition and `prepareStep` see: the steps so far and the current Turn.
 *
 * @example
 * const stopWhen: StopCondition = ({ steps, turn }: StepState) => steps.length > 3 || turn.blocks.length > 50;
 */
export interface StepState {
  steps: readonly StepRecord[];
  turn: Turn;
}

/**
 * Ends the loop after a step when it returns true (status `stopped`); checked only after a step whose tools
 * ran, since a step without tool calls ends the loop anyway.
 *
 * @example
 * const stopWhen: StopCondition = ({ steps }) => steps.at(-1)?.usage?.outputTokens! > 1000;
 */
export type StopCondition = (state: StepState) => boolean | Promise<boolean>;

/**
 * Stops once `count` steps have run.
 *
 * @example
 * runToolLoop(turn, ctx, { engine, registry, stopWhen: stepCountIs(3) });
 */
export function stepCountIs(count: number): StopCondition {
  return ({ steps }) => steps.length >= count;
}

/**
 * Stops after a step in which the model called one of the named tools (any tool when none is named).
 *
 * @example
 * runToolLoop(turn, ctx, { engine, registry, stopWhen: hasToolCall("final_answer") });
 */
export function hasToolCall(...names: string[]): StopCondition {
  return ({ steps }) => {
    const calls = steps.at(-1)?.toolCalls ?? [];
    return names.length === 0 ? calls.length > 0 : calls.some((call) => names.includes(call.name));
  };
}

/**
 * What `prepareStep` may change for the next step only (later steps go back to the loop's own settings).
 *
 * @example
 * const preparation: StepPreparation = { activeTools: ["search"], toolChoice: "required", inference: { temperature: 0 } };
 */
export interface StepPreparation {
  /** Another engine (model) for this step. */
  engine?: Engine;
  /** Offer only these tools in this step. */
  activeTools?: readonly string[];
  /** The tool choice for this step. */
  toolChoice?: ToolChoice;
  /** Inference settings for this step, over the Turn's own. */
  inference?: InferenceConfig;
}

/**
 * Before each step (the first included): return changes for that step, or nothing to keep the defaults.
 *
 * @example
 * const prepareStep: PrepareStep = ({ stepNumber }) => (stepNumber === 1 ? { toolChoice: "required" } : undefined);
 */
export type PrepareStep = (
  state: StepState & { stepNumber: number },
) => StepPreparation | undefined | Promise<StepPreparation | undefined>;

/**
 * Called after each step, before the next one starts; the loop waits for it.
 *
 * @example
 * const onStepFinish: StepFinishCallback = (step) => log(step.stepNumber, step.usage);
 */
export type StepFinishCallback = (step: StepRecord) => void | Promise<void>;

/**
 * True when any of the conditions holds.
 *
 * @example
 * await anyConditionHolds([stepCountIs(5), hasToolCall("done")], state)
 */
export async function anyConditionHolds(
  conditions: StopCondition | readonly StopCondition[] | undefined,
  state: StepState,
): Promise<boolean> {
  if (!conditions) return false;
  const list = typeof conditions === "function" ? [conditions] : conditions;
  for (const condition of list) if (await condition(state)) return true;
  return false;
}
