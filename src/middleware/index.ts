/**
 * Middleware: composition and the built-ins (system prompt, tool-result reorder, logging, turn snapshots).
 */
export * from "./compose.ts";
export * from "./logging.ts";
export * from "./system-prompt.ts";
export * from "./tool-result-reorder.ts";
export * from "./turn-snapshot.ts";
