/**
 * Tools: definition (`defineTool`), schemas per provider dialect, the registry carried by the run context,
 * the executor, results placed in the Turn, and demo tools.
 */

export * from "./content.ts";
export * from "./define-tool.ts";
export * from "./demo.ts";
export * from "./dialects.ts";
export * from "./executor.ts";
export * from "./input-schema.ts";
export * from "./registry.ts";
export * from "./results.ts";
