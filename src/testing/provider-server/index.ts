/**
 * The local provider-compatible server: speaks the providers' wire protocols on 127.0.0.1, replays recorded
 * files or scripted answers with pacing and injected faults, and records the requests it received.
 *
 * @example
 * const server = await startProviderServer({ response: { script: { text: "Hi there" } } });
 * // point an engine at server.baseURL("openai-chat"), run it, assert server.requests[0].body
 * await server.close();
 */
export { defaultAnswer, lastUserPrompt, startDefaultProviderServer } from "./default-server.ts";
export { loadFixture, statusOfErrorBody } from "./fixtures.ts";
export { openaiChatProtocol } from "./openai-chat.ts";
export { type PairingError, validateToolPairing } from "./pairing.ts";
export { registeredProtocols } from "./protocols.ts";
export { argumentsText, chunkedToolCall, longText, splitInto, tokensOf } from "./script.ts";
export { type ProviderServer, type ProviderServerOptions, startProviderServer } from "./server.ts";
export type { Faults, ProtocolModule, RecordedRequest, Reply, ResponseSpec, ScriptedReply } from "./types.ts";
