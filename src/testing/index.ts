/**
 * The public testing kit: a scripted engine you can drive in your own tests, the embedded default, and the local
 * provider-compatible server that replays recorded or scripted provider responses over real HTTP.
 */
export * from "./embedded-default.ts";
export * from "./provider-server/index.ts";
export * from "./realtime/index.ts";
export * from "./realtime-recording/index.ts";
export * from "./scripted-engine.ts";
export * from "./tool-responder.ts";
