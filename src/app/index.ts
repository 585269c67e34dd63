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
export {
  type GenerateObjectResult,
  generateObject,
  NoObjectGeneratedError,
  type ObjectAttempt,
  type ObjectCallOptions,
  type ObjectOf,
} from "./generate-object.ts";
export { generateText, type StreamTextOptions, streamText } from "./generate-text.ts";
export * from "./guardrails.ts";
export * from "./model-guardrail.ts";
export * from "./model-id.ts";
export type { DeepPartial, InferObject, ObjectOutput, ObjectSchema } from "./object-types.ts";
export type { CallOptions, GenerateTextResult, Message } from "./run.ts";
export { ObjectStream, type PartialOf, type StreamObjectOptions, streamObject } from "./stream-object.ts";
export { strictModeProblems } from "./strict-mode.ts";
