/**
 * The contract between the realtime driver and one provider's wire protocol: the normalized events a protocol
 * decodes provider messages into, and what it encodes (setup, input chunks, tool results).
 */
import type { Usage } from "../../events/types.ts";
import type { ToolRegistry } from "../../tools/registry.ts";
import type { JsonObject, JsonValue } from "../../turns/json.ts";
import type { Message } from "../messages.ts";
import type { AudioFormat, DuplexInput } from "./types.ts";

/**
 * What a realtime protocol reports, normalized.
 *
 * @example
 * const event: RealtimeEvent = { type: "text-delta", delta: "Hi" };
 */
export type RealtimeEvent =
  | { type: "ready" }
  | { type: "speech-started" }
  | { type: "user-transcript"; text: string }
  | { type: "text-delta"; delta: string }
  | { type: "transcript-delta"; delta: string }
  | { type: "audio-delta"; data: Uint8Array }
  | { type: "tool-calls"; calls: { id: string; name: string; args: JsonObject }[] }
  | { type: "usage"; usage: Usage }
  /** The answer ended (an answer that asks for tools does not end: it goes on after their results). */
  | { type: "response-done"; cancelled: boolean }
  | { type: "error"; message: string };

/**
 * A tool as the session declares it to the provider.
 *
 * @example
 * const tool: RealtimeTool = { name: "get_time", description: "Now", parameters: { type: "object" } };
 */
export interface RealtimeTool {
  name: string;
  description: string;
  parameters: JsonObject;
}

/**
 * What the session is set up with.
 *
 * @example
 * protocol.setup({ instructions: "Be brief.", tools: [], history: [] })
 */
export interface RealtimeSetup {
  instructions: string | undefined;
  tools: RealtimeTool[];
  /** The conversation so far (a continued or forked session), as messages. */
  history: Message[];
}

/**
 * One provider's realtime wire protocol (client side).
 *
 * @example
 * const mode = () => new RealtimeDriver(myProtocol satisfies RealtimeProtocol);
 */
export interface RealtimeProtocol {
  readonly provider: string;
  /** The model the connection talks to (for traces). */
  readonly model?: string;
  readonly inputSampleRate: number;
  readonly outputFormat: AudioFormat;
  readonly accepts: { frames: boolean; video: boolean };
  readonly schemaDialect: "json-schema" | "gemini";
  /** The WebSocket address and headers (the API key goes in a header, never in the address). */
  connection(): { url: string; headers: Record<string, string> };
  /** The messages sent right after the connection opens. */
  setup(setup: RealtimeSetup): JsonObject[];
  /** The messages for one input chunk (text only when its turn ends). */
  encode(input: DuplexInput): JsonObject[];
  /** The messages that answer tool calls (and ask for the rest of the answer). */
  toolResults(results: { id: string; name: string; result: JsonValue; error?: string }[]): JsonObject[];
  decode(message: JsonObject): RealtimeEvent[];
}

/**
 * Options every realtime mode takes.
 *
 * @example
 * openAIRealtimeMode({ model: "gpt-realtime", registry, connectTimeoutMs: 5000 })
 */
export interface RealtimeModeOptions {
  /** Tools the model may call; executed here and answered over the connection. */
  registry?: ToolRegistry;
  /** Milliseconds to wait for the connection and the setup acknowledgement. Default 10000. */
  connectTimeoutMs?: number;
}
