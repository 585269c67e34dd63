/**
 * Unary and duplex sessions over geppetto's engines, with conversation state stores (memory, file, SQLite, Redis).
 *
 * @example
 * import { MemoryStateStore } from "geppetto/sessions";
 */

export * from "./base-session.ts";
export * from "./duplex/audio.ts";
export * from "./duplex/chunk-queue.ts";
export * from "./duplex/duplex-session.ts";
export * from "./duplex/gemini-live.ts";
export * from "./duplex/openai-realtime.ts";
export * from "./duplex/realtime-mode.ts";
export * from "./duplex/realtime-protocol.ts";
export * from "./duplex/speech-clients.ts";
export * from "./duplex/types.ts";
export * from "./duplex/vad.ts";
export * from "./duplex/vad-mode.ts";
export * from "./file-state-store.ts";
export * from "./messages.ts";
export * from "./redis-state-store.ts";
export * from "./sqlite-state-store.ts";
export * from "./state-store.ts";
export * from "./unary-session.ts";
export * from "./variables.ts";
