/**
 * The vocabulary of the local provider server: what a protocol module implements, what a response spec says
 * (a recorded file, a script, an error, or a handler) and the faults it can inject.
 */

/** A request the server received, kept for golden-request assertions. */
export interface RecordedRequest {
  /** The protocol module that served it (`openai-chat`…), or undefined when no route matched. */
  protocol: string | undefined;
  method: string;
  /** Path with query. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body (the raw text when it was not JSON). */
  body: unknown;
}

/** What the server sends: status, headers and body frames (each frame is one write; pacing goes between). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  frames: (string | Uint8Array)[];
}

/** A scripted model answer, rendered by each protocol in its own wire form. */
export interface ScriptedReply {
  model?: string;
  /** Answer text, streamed word by word (each word with its following spaces is one token). */
  text?: string;
  /** Answer text as exact tokens (wins over `text`). */
  tokens?: string[];
  /** Reasoning text streamed before the answer (protocols that have it). */
  reasoning?: string;
  /** Tool calls; `arguments` (JSON text or an object) is streamed in `chunks` pieces (default 1). */
  toolCalls?: { id?: string; name: string; arguments: string | Record<string, unknown>; chunks?: number }[];
  usage?: { inputTokens?: number; outputTokens?: number; cachedTokens?: number; reasoningTokens?: number };
  /** The protocol's own stop reason (default: the protocol's "tool calls" reason with tools, else its "stop"). */
  stopReason?: string;
}

/** Faults injected into a response. */
export interface Faults {
  /** Wait this long before sending the status and headers (first-byte timeouts). */
  delayHeadersMs?: number;
  /** Destroy the connection after this many body bytes. */
  cutAfterBytes?: number;
  /** Stop sending after this many body bytes and hold the connection (until `stallMs`, or until closed). */
  stallAfterBytes?: number;
  stallMs?: number;
  /** End the response cleanly (a proper end, no error) after this many body bytes, even in the middle of an event. */
  endAfterBytes?: number;
  /** After the last frame, keep the connection open instead of ending it (until `stallMs`, or until closed). */
  holdOpen?: boolean;
}

/** How the server answers one request. Exactly one source: `fixture`, `script`, `raw`, `error` or `handler`. */
export interface ResponseSpec {
  /** Body frames sent as they are (status 200 unless `status`; content type `text/event-stream` unless given). */
  raw?: { frames: (string | Uint8Array)[]; contentType?: string };
  /** A recorded file in the fixture formats (`.sse`, `.chunks.txt`, `.jsonl`, `.json`, `.replay.json`, …). */
  fixture?: string;
  /** A scripted answer in the protocol's wire form. */
  script?: ScriptedReply;
  /** An error response: status, JSON body, headers (`retry-after`…). */
  error?: { status: number; body?: unknown; headers?: Record<string, string> };
  /** Computes the reply from the request (the default server answers any prompt this way). */
  handler?: (request: RecordedRequest, protocol: ProtocolModule) => ResponseSpec | Promise<ResponseSpec>;
  /** Overrides the status of the reply. */
  status?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Milliseconds between frames. */
  pacingMs?: number;
  faults?: Faults;
  /** Stream or not; default: what the request asked for. */
  streaming?: boolean;
}

/**
 * One provider wire protocol. A provider names it in its `WireProtocol` (`server()`), and every server started
 * while the provider is registered serves it; or pass it to `startProviderServer` (`protocols`).
 *
 * @example
 * const ollama: ProtocolModule = { name: "ollama", basePath: "", matches: (m, p) => p === "/api/chat", … };
 */
export interface ProtocolModule {
  name: string;
  /** What clients append to the server URL to form their base URL (`/v1` for OpenAI). */
  basePath: string;
  /** True when this module serves the request. */
  matches(method: string, path: string): boolean;
  /** True when the request asks for a stream. */
  wantsStream(request: RecordedRequest): boolean;
  /** Renders a scripted answer. */
  render(script: ScriptedReply, streaming: boolean, request: RecordedRequest): Reply;
  /** Wire framing of one `.chunks.txt` line (default `data: <line>\n\n`). */
  frameChunk?(line: string): string;
  /** Sent after the frames of a `.chunks.txt` replay (OpenAI Chat: `data: [DONE]\n\n`). */
  chunksTrailer?: string;
  /** Content type of streams (default `text/event-stream`). */
  streamContentType?: string;
}
