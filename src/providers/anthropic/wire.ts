/**
 * The Anthropic Messages wire format, as far as this engine reads and writes it (types only).
 *
 * Kept loose on purpose: unknown fields are carried through untouched. Field names are the provider's.
 */
import type { JsonObject } from "../../turns/json.ts";

/** One content block of a message (request or response). */
export type AnthropicContentBlock = JsonObject & { type: string };

/** One message of the `messages` array. */
export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicContentBlock[];
}

/** A request body for `POST /v1/messages`. */
export interface AnthropicRequestBody {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: string | AnthropicContentBlock[];
  stream?: boolean;
  tools?: JsonObject[];
  tool_choice?: JsonObject;
  thinking?: { type: "enabled"; budget_tokens: number };
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  output_format?: JsonObject;
}

/** Token usage, as in `message_start` and `message_delta`. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  /** Newer models report the thinking share of `output_tokens` here. */
  output_tokens_details?: { thinking_tokens?: number | null } | null;
  [field: string]: unknown;
}

/** A message object (the non-streaming body, and inside `message_start`). */
export interface AnthropicResponseMessage {
  id?: string;
  model?: string;
  role?: string;
  content?: AnthropicContentBlock[];
  stop_reason?: string | null;
  stop_sequence?: string | null;
  usage?: AnthropicUsage;
  [field: string]: unknown;
}

/** An error object (in an `error` event or an error body). */
export interface AnthropicError {
  type?: string;
  message?: string;
}

/** One streamed event (the JSON `data:` payload of an SSE event). */
export interface AnthropicStreamEvent {
  type: string;
  index?: number;
  message?: AnthropicResponseMessage;
  content_block?: AnthropicContentBlock;
  delta?: {
    type?: string;
    text?: string;
    partial_json?: string;
    thinking?: string;
    signature?: string;
    citation?: JsonObject;
    stop_reason?: string | null;
    stop_sequence?: string | null;
  };
  usage?: AnthropicUsage;
  error?: AnthropicError;
  [field: string]: unknown;
}
