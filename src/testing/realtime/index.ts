/**
 * The local realtime server of the testing kit: transcription and speech endpoints (OpenAI-compatible) for
 * duplex sessions, tested offline.
 */
export * from "./audio-endpoints.ts";
export * from "./server.ts";
