/**
 * Test-only scaffolding of the reliability suites: the five engines pointed at the local provider server with
 * client limits a fault test can tune (retries, timeouts, a tiny backoff), how each protocol frames an error
 * event and a malformed event, and the byte offsets of a scripted answer's frames (to cut it where a test wants).
 *
 * Not part of the build (`tsconfig.build.json` excludes `src/**\/test-support.ts`).
 */
import type { Engine } from "../engine/engine.ts";
import { createClaudeEngine } from "../providers/anthropic/engine.ts";
import { createGeminiEngine } from "../providers/gemini/engine.ts";
import { createOllamaEngine } from "../providers/ollama/engine.ts";
import { createOpenAIChatEngine } from "../providers/openai/engine.ts";
import { createOpenAIResponsesEngine } from "../providers/openai-responses/engine.ts";
import type { ClientOptions } from "../providers/options.ts";
import type { RawTap } from "../providers/transport/tap.ts";
import type {
  ProtocolModule,
  RecordedRequest,
  ResponseSpec,
  ScriptedReply,
} from "../testing/provider-server/index.ts";

/** The five engines, Gemini twice (its SSE stream and its streamed JSON array). */
export const ENGINE_NAMES = [
  "openai-chat",
  "openai-responses",
  "anthropic",
  "gemini",
  "gemini-json-array",
  "ollama",
] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The local server's protocol an engine speaks. */
export function protocolOf(name: EngineName): string {
  return name === "gemini-json-array" ? "gemini" : name;
}

/** The content type of the engine's stream. */
export function contentTypeOf(name: EngineName): string {
  if (name === "ollama") return "application/x-ndjson";
  return name === "gemini-json-array" ? "application/json" : "text/event-stream";
}

/**
 * One event carrying `data` in the engine's stream framing, as the whole body (`complete: false` leaves it
 * without its end, as a stream cut in the middle of it).
 */
export function soleEvent(name: EngineName, data: string, complete = true): string {
  if (name === "ollama") return complete ? `${data}\n` : data;
  if (name === "gemini-json-array") return complete ? `[${data}]` : `[${data}`;
  return complete ? `data: ${data}\n\n` : `data: ${data}`;
}

/** How a test wants an engine. */
export interface EngineSetup {
  /** The server's base URL for this engine's protocol. */
  baseURL: string;
  apiKey?: string;
  client?: ClientOptions;
  tap?: RawTap;
}

/**
 * One of the five engines against the local provider server, retrying after a 1 ms backoff.
 *
 * @example
 * const engine = createTestEngine("anthropic", { baseURL: server.baseURL("anthropic"), client: { maxRetries: 1 } });
 */
export function createTestEngine(name: EngineName, setup: EngineSetup): Engine {
  const common = {
    apiKey: setup.apiKey ?? "reliability-test-key",
    baseURL: setup.baseURL,
    client: { maxRetries: 0, ...setup.client },
    backoff: { baseDelayMs: 1, maxDelayMs: 5 },
    env: {},
    ...(setup.tap ? { tap: setup.tap } : {}),
  };
  switch (name) {
    case "openai-chat":
      return createOpenAIChatEngine({ model: "gpt-4o-mini", ...common });
    case "openai-responses":
      return createOpenAIResponsesEngine({ model: "gpt-5-mini", ...common });
    case "anthropic":
      return createClaudeEngine({ model: "claude-sonnet-4-5", ...common });
    case "gemini":
      return createGeminiEngine({ model: "gemini-2.5-flash", ...common });
    case "gemini-json-array":
      return createGeminiEngine({ model: "gemini-2.5-flash", streamFormat: "json-array", ...common });
    case "ollama":
      return createOllamaEngine({ model: "llama3.2", ...common });
  }
}

/**
 * An `error` event in each protocol's stream, carrying `message` (what a provider sends mid-stream); `first`
 * when it opens the body.
 */
export function errorFrame(name: EngineName, message: string, first = false): string {
  switch (name) {
    case "openai-chat":
      return `data: ${JSON.stringify({ error: { message, type: "server_error" } })}\n\n`;
    case "openai-responses":
      return `event: error\ndata: ${JSON.stringify({ type: "error", code: "server_error", message, param: null })}\n\n`;
    case "anthropic":
      return `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message } })}\n\n`;
    case "gemini":
      return `data: ${JSON.stringify({ error: { code: 503, message, status: "UNAVAILABLE" } })}\n\n`;
    case "gemini-json-array":
      return `${first ? "[" : "\n,\r\n"}${JSON.stringify({ error: { code: 503, message, status: "UNAVAILABLE" } })}`;
    case "ollama":
      return `${JSON.stringify({ error: message })}\n`;
  }
}

/** An event whose data is not JSON, in each protocol's framing. */
export function malformedFrame(name: EngineName): string {
  if (name === "gemini-json-array") return "\n,\r\n{not json}";
  return name === "ollama" ? "{not json\n" : "data: {not json\n\n";
}

/** The frames of a scripted answer as text, as the protocol renders them for this request. */
export function framesOf(
  protocol: ProtocolModule,
  request: RecordedRequest,
  script: ScriptedReply,
): string[] {
  const reply = protocol.render(script, protocol.wantsStream(request), request);
  return reply.frames.map((frame) => (typeof frame === "string" ? frame : new TextDecoder().decode(frame)));
}

/** The index of the first frame holding `token`. */
export function frameWith(frames: readonly string[], token: string): number {
  const index = frames.findIndex((frame) => frame.includes(token));
  if (index === -1) throw new Error(`no frame holds ${JSON.stringify(token)}`);
  return index;
}

/** Bytes of `frames[0..count)`. */
export function bytesOf(frames: readonly string[], count: number): number {
  return frames.slice(0, count).reduce((total, frame) => total + Buffer.byteLength(frame, "utf8"), 0);
}

/**
 * A response computed from the request: the scripted answer's frames go through `shape`, which returns the spec
 * to serve (raw frames, or the script with a fault at a computed offset).
 *
 * @example
 * server.respond(shaped(script, (frames) => ({ script, faults: { endAfterBytes: bytesOf(frames, 2) + 5 } })));
 */
export function shaped(
  script: ScriptedReply,
  shape: (frames: string[], protocol: ProtocolModule) => ResponseSpec,
): ResponseSpec {
  return { handler: (request, protocol) => shape(framesOf(protocol, request, script), protocol) };
}
