/**
 * The engine contract, per-turn inference configuration, structured output, results and errors.
 */
export * from "./engine.ts";
export * from "./errors.ts";
export * from "./inference-config.ts";
export * from "./json-schema-validation.ts";
export * from "./lifecycle.ts";
export * from "./output.ts";
export * from "./structured-output.ts";
export * from "./structured-validation.ts";
export * from "./tools.ts";
export * from "./validation.ts";
