/**
 * geppetto: a TypeScript framework for building applications on large language models.
 *
 * The core entry point: Turns and Blocks, events and sinks, the engine contract, and the application API
 * (`generateText`, `streamText`, `generateObject`, `streamObject`, guardrails, `"provider:model"` ids).
 * Providers, tools (`geppetto/tools`), the tool loop (`geppetto/toolloop`), middleware (`geppetto/middleware`),
 * sessions (`geppetto/session`), structured sinks (`geppetto/structured`) and the testing kit (`geppetto/testing`) have their own subpath exports.
 */
export * from "./app/index.ts";
export * from "./engine/index.ts";
export * from "./events/index.ts";
export * from "./stream/index.ts";
export * from "./turns/index.ts";
