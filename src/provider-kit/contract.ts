/**
 * The engine contract, types only: what every engine, provider and caller depends on. Importing it loads nothing.
 *
 * @example
 * import type { Engine, InferenceResult, PreparedInference } from "geppetto/provider-kit";
 */
export type { Engine, FinishClass, InferenceCost, InferenceResult } from "../engine/engine.ts";
export type { InferenceConfig, ToolConfig } from "../engine/inference-config.ts";
export type { StructuredOutputConfig } from "../engine/structured-output.ts";
export type { ToolDescription } from "../engine/tools.ts";
export type { Usage } from "../events/types.ts";
export type { ClientOptions, ProviderEngineOptions } from "../providers/options.ts";
export type { PreparedInference } from "./prepare.ts";
