/**
 * Recorded realtime sessions: the JSONL recording format, a recording WebSocket proxy in front of the real
 * OpenAI Realtime or Gemini Live service, and a replay server that serves a recording offline.
 */
export * from "./format.ts";
export * from "./proxy.ts";
export * from "./replay.ts";
