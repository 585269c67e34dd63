/**
 * The Ollama `/api/chat` wire format, as far as this engine reads and writes it (types only). Unknown fields
 * pass through untouched.
 */
import type { JsonObject, JsonValue } from "../../turns/json.ts";

/** A tool call in an assistant message. Newer servers add an `id` and `function.index`. */
export interface OllamaToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: JsonObject | string };
}

/** One chat message. */
export interface OllamaMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  /** Base64 images (no data: prefix). */
  images?: string[];
  thinking?: string;
  tool_calls?: OllamaToolCall[];
  /** The tool a `tool` message answers. */
  tool_name?: string;
  [field: string]: unknown;
}

/** The request body of `POST /api/chat`. */
export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: JsonObject[];
  think?: boolean | "low" | "medium" | "high";
  format?: JsonValue;
  options?: JsonObject;
  keep_alive?: string | number;
  [field: string]: unknown;
}

/** One NDJSON line of a streamed answer (or the whole answer with `stream: false`). */
export interface OllamaChatChunk {
  model?: string;
  created_at?: string;
  message?: Partial<OllamaMessage>;
  done?: boolean;
  done_reason?: string;
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
  /** Sent instead of everything else when the request failed (also mid-stream). */
  error?: string;
  [field: string]: unknown;
}
