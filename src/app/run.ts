/**
 * What every application call shares: the options (model, prompt or messages or Turn, tools, steps, guardrails),
 * building the input Turn, and one run: input guardrails, the tool loop (one step without tools), streaming and
 * final output guardrails, and the summed usage and cost.
 */
import type { Engine, InferenceCost, InferenceResult } from "../engine/engine.ts";
import { CallerError } from "../engine/errors.ts";
import { type InferenceConfig, KeyInferenceConfig, mergeConfig } from "../engine/inference-config.ts";
import type { StructuredOutputConfig } from "../engine/structured-output.ts";
import { addCost, addUsage } from "../engine/totals.ts";
import { type EventSink, RunContext } from "../events/context.ts";
import type { Usage } from "../events/types.ts";
import type { ToolLoopStatus } from "../toolloop/loop.ts";
import type { PrepareStep, StepFinishCallback, StepRecord, StopCondition } from "../toolloop/steps.ts";
import type { ToolExecutorConfig } from "../tools/executor.ts";
import type { AnyTool, ToolRegistry } from "../tools/registry.ts";
import { newAssistantTextBlock, newSystemTextBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import {
  GuardrailTrippedError,
  type InputGuardrail,
  type OutputGuardrail,
  runInputGuardrails,
  runOutputGuardrails,
  watchStreamingOutput,
} from "./guardrails.ts";
import { type ModelResolutionOptions, type ModelSpecifier, resolveModel } from "./model-id.ts";

/**
 * A message of a conversation given as plain data.
 *
 * @example
 * const messages: Message[] = [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello!" }, { role: "user", content: "Who are you?" }];
 */
export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * The options every application call takes. Give exactly one of `prompt`, `messages` or `turn`.
 *
 * @example
 * const options: CallOptions = { model: "openai:gpt-4o-mini", system: "Be brief.", prompt: "Hello" };
 */
export interface CallOptions {
  /** An Engine, a `"provider:model"` id, or a profile name (see `resolveModel`). */
  model: ModelSpecifier;
  prompt?: string;
  messages?: readonly Message[];
  /** A Turn to continue (a conversation so far). */
  turn?: Turn;
  /** A system prompt, put before everything else. */
  system?: string;
  /** Tools the model may call; the tool loop runs while it calls them. */
  tools?: ToolRegistry | readonly AnyTool[];
  /** How tools run (timeouts, retries, parallelism, error policy, tool choice). */
  toolExecution?: ToolExecutorConfig;
  /** Inferences allowed (default 10 with tools, 1 without). */
  maxSteps?: number;
  /** Ends the loop after a step when a condition holds (`stepCountIs(3)`, `hasToolCall("done")`, custom). */
  stopWhen?: StopCondition | readonly StopCondition[];
  onStepFinish?: StepFinishCallback;
  /** Changes the model, tools, tool choice or inference config of one step. */
  prepareStep?: PrepareStep;
  inputGuardrails?: readonly InputGuardrail[];
  outputGuardrails?: readonly OutputGuardrail[];
  /** Inference settings for this call (temperature, maxResponseTokens…), over the Turn's own. */
  inference?: InferenceConfig;
  signal?: AbortSignal;
  /** Sinks that receive every event of the call. */
  sinks?: readonly EventSink[];
  /** A context to run in (ids, values, sinks); `signal` and `sinks` are added to it. */
  context?: RunContext;
  /** Where a model id is resolved from (environment, folder, fetch). */
  resolution?: ModelResolutionOptions;
}

/**
 * What {@link generateText} resolves with (and `streamText(…).result`).
 *
 * @example
 * const { text, usage, steps } = await generateText({ model, prompt: "Hi" });
 */
export interface GenerateTextResult {
  /** The answer text of the last step. */
  text: string;
  /** The Turn with the whole exchange (prompt, calls, results, answer). */
  turn: Turn;
  /** The last inference's normalized result. */
  result: InferenceResult;
  /** Usage summed over every step. */
  usage: Usage;
  /** Cost summed over every step, when the model has prices. */
  cost?: InferenceCost;
  /** One record per inference. */
  steps: StepRecord[];
  /** How the tool loop ended. */
  status: ToolLoopStatus;
}

/** The input Turn of a call: its Turn, messages or prompt, with the system prompt first. */
export function inputTurn(options: CallOptions): Turn {
  const given = [options.prompt, options.messages, options.turn].filter((value) => value !== undefined);
  if (given.length !== 1) {
    throw new CallerError(
      `give exactly one of prompt, messages or turn (got ${given.length === 0 ? "none" : "several"})`,
      { code: "invalid_argument" },
    );
  }
  let turn: Turn;
  if (options.turn) turn = options.turn;
  else if (options.messages) {
    turn = newTurn(
      options.messages.map((message, index) => {
        if (message.role === "system") return newSystemTextBlock(message.content);
        if (message.role === "user") return newUserTextBlock(message.content);
        if (message.role === "assistant") return newAssistantTextBlock(message.content);
        throw new CallerError(
          `messages[${index}].role must be system, user or assistant (got ${JSON.stringify(message.role)})`,
          { code: "invalid_argument" },
        );
      }),
    );
  } else turn = newTurn([newUserTextBlock(options.prompt!)]);
  if (options.system !== undefined)
    turn = { ...turn, blocks: [newSystemTextBlock(options.system), ...turn.blocks] };
  if (options.inference)
    turn = KeyInferenceConfig.set(turn, mergeConfig(KeyInferenceConfig.get(turn), options.inference));
  return turn;
}

/** The tools as a registry; the tools module is loaded only by a call that has tools. */
async function registryOf(tools: CallOptions["tools"]): Promise<ToolRegistry | undefined> {
  if (!tools) return undefined;
  const { ToolRegistry } = await import("../tools/registry.ts");
  return tools instanceof ToolRegistry ? tools : new ToolRegistry(tools as readonly AnyTool[]);
}

/** The context of a call: the caller's, with the call's sinks and signal. */
export function callContext(options: CallOptions): RunContext {
  let ctx = options.context ?? RunContext.background();
  if (options.sinks && options.sinks.length > 0) ctx = ctx.withSinks(...options.sinks);
  if (options.signal) ctx = ctx.withSignal(options.signal);
  return ctx;
}

/** Extra inputs of {@link runCall} used by the object calls. */
export interface RunCallExtras {
  engine?: Engine;
  /** Structured output for every inference of the call (the object calls). */
  structuredOutput?: StructuredOutputConfig;
}

/**
 * One application call: resolves the model, runs the input guardrails, the tool loop and the output guardrails
 * (on the last step's text, whatever `status` the loop ended with). A tripped guardrail rejects with
 * {@link GuardrailTrippedError} (the Turn as far as it got attached).
 */
export async function runCall(
  options: CallOptions,
  turn: Turn,
  ctx: RunContext,
  extras: RunCallExtras = {},
): Promise<GenerateTextResult> {
  const engine = extras.engine ?? (await resolveModel(options.model, options.resolution)).engine;
  await runInputGuardrails(options.inputGuardrails, turn, ctx);
  const controller = new AbortController();
  const watch = watchStreamingOutput(options.outputGuardrails, ctx.withSignal(controller.signal), controller);
  const registry = await registryOf(options.tools);
  // The tool loop (and the tools module) load on the first call, so importing the core stays cheap.
  const { runToolLoop } = await import("../toolloop/loop.ts");
  const loop = await runToolLoop(turn, watch.ctx, {
    engine,
    ...(registry ? { registry } : {}),
    ...(options.toolExecution ? { tools: options.toolExecution } : {}),
    loop: { maxIterations: options.maxSteps ?? (registry ? 10 : 1) },
    ...(options.stopWhen ? { stopWhen: options.stopWhen } : {}),
    ...(options.onStepFinish ? { onStepFinish: options.onStepFinish } : {}),
    ...(options.prepareStep ? { prepareStep: options.prepareStep } : {}),
    ...(extras.structuredOutput ? { structuredOutput: extras.structuredOutput } : {}),
  });
  await watch.settled();
  const tripped = watch.tripped();
  if (tripped) throw new GuardrailTrippedError(tripped, loop.turn);
  let usage: Usage = {};
  let cost: InferenceCost | undefined;
  for (const step of loop.steps) {
    usage = addUsage(usage, step.usage);
    cost = addCost(cost, step.result.cost);
  }
  const last = loop.steps.at(-1);
  const result = last?.result ?? { provider: "unknown", finishClass: "interrupted", truncated: true };
  const text = last?.text ?? "";
  // The output guardrails vet what the caller gets however the loop ended: completed, at the step limit, by
  // stopWhen or a step decision, or cancelled (on the partial answer; the call's signal is aborted then, so they
  // get one of their own and a model guardrail can still judge).
  const checkCtx = ctx.signal.aborted ? ctx.withSignal(new AbortController().signal, { replace: true }) : ctx;
  await runOutputGuardrails(options.outputGuardrails, text, loop.turn, checkCtx, loop.status);
  return {
    text,
    turn: loop.turn,
    result,
    usage,
    ...(cost ? { cost } : {}),
    steps: loop.steps,
    status: loop.status,
  };
}
