/**
 * Unary sessions over geppetto's engines, with conversation state stores (memory, file, SQLite, Redis). Duplex
 * (realtime) sessions are in `geppetto/sessions/duplex`.
 *
 * @example
 * import { MemoryStateStore } from "geppetto/sessions";
 */

export * from "./base-session.ts";
export * from "./file-state-store.ts";
export * from "./messages.ts";
export * from "./redis-state-store.ts";
export * from "./sqlite-state-store.ts";
export * from "./state-store.ts";
export * from "./unary-session.ts";
export * from "./variables.ts";
