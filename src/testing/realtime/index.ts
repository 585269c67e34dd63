/**
 * The local realtime server of the testing kit: transcription and speech endpoints (OpenAI-compatible) and the
 * OpenAI Realtime and Gemini Live WebSocket protocols, for duplex sessions tested offline.
 */
export * from "./audio-endpoints.ts";
export * from "./conversation.ts";
export * from "./gemini-live.ts";
export * from "./openai-realtime.ts";
export * from "./server.ts";
