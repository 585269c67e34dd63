/**
 * The application API: one call for an answer (`generateText`, `streamText`), a typed object
 * (`generateObject`, `streamObject`), step control of the tool loop, guardrails, and `"provider:model"` ids.
 *
 * @example
 * import { generateText } from "geppetto";
 * const { text } = await generateText({ model: "openai:gpt-4o-mini", prompt: "Say hello" });
 */

export {
  hasToolCall,
  type PrepareStep,
  type StepFinishCallback,
  type StepPreparation,
  type StepRecord,
  type StepState,
  type StopCondition,
  stepCountIs,
} from "../toolloop/steps.ts";
export * from "./generate-object.ts";
export * from "./generate-text.ts";
export * from "./guardrails.ts";
export * from "./incremental-json.ts";
export * from "./model-guardrail.ts";
export * from "./model-id.ts";
export * from "./object-schema.ts";
export * from "./run.ts";
export * from "./stream-object.ts";
