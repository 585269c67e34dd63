/**
 * Sessions: the engine builder, Session with ExecutionHandle and busy policies, and persistence (TurnStore,
 * in memory and on SQLite).
 */
export * from "./engine-builder.ts";
export * from "./execution-handle.ts";
export * from "./session.ts";
export * from "./sqlite-turn-store.ts";
export * from "./turn-store.ts";
