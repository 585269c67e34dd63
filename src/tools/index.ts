/**
 * Tools: definition (`defineTool`), schemas per provider dialect, the registry carried by the run context,
 * the executor, results placed in the Turn (and answers for calls that never ran), JSON checks of results and
 * input schemas, and demo tools.
 */

export * from "./content.ts";
export * from "./define-tool.ts";
export * from "./demo.ts";
export * from "./dialects.ts";
export * from "./executor.ts";
export * from "./input-schema.ts";
export * from "./json-result.ts";
export * from "./registry.ts";
export * from "./results.ts";
export * from "./schema-check.ts";
