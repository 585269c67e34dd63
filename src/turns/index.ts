/**
 * Turns and Blocks: the conversation model, typed keys, builders and serialization.
 */
export * from "./builders.ts";
export * from "./history.ts";
export * from "./immutable.ts";
export * from "./json.ts";
export * from "./keys.ts";
export * from "./lazy-modules.ts";
export * from "./serialization.ts";
export * from "./types.ts";
