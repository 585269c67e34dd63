/**
 * Duplex (realtime) sessions: audio in and out over the OpenAI Realtime and Gemini Live protocols, or a VAD
 * in front of speech-to-text, an engine and text-to-speech. Its own subpath, so that a unary session does not
 * load the realtime protocols.
 *
 * @example
 * import { DuplexSession, openAIRealtimeMode } from "geppetto/sessions/duplex";
 */

export * from "./audio.ts";
export * from "./chunk-queue.ts";
export * from "./duplex-session.ts";
export * from "./gemini-live.ts";
export * from "./openai-realtime.ts";
export * from "./realtime-mode.ts";
export * from "./realtime-protocol.ts";
export * from "./speech-clients.ts";
export * from "./types.ts";
export * from "./vad.ts";
export * from "./vad-mode.ts";
