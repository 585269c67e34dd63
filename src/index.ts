/**
 * geppetto: a TypeScript framework for building applications on large language models.
 *
 * The core entry point: Turns and Blocks, events and sinks, the engine contract.
 * Providers, tools, sessions and the testing kit have their own subpath exports.
 */
export * from "./engine/index.ts";
export * from "./events/index.ts";
export * from "./turns/index.ts";
