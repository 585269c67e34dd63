/**
 * OpenAI Chat Completions wire types (the subset geppetto sends and reads).
 */

/** A content part of a user message. */
export type ChatContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: string } }
  | { type: "file"; file: { filename: string; file_data: string } };

/** A tool call in an assistant message. */
export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** One message of the request. */
export type ChatMessage =
  | { role: "system" | "developer"; content: string }
  | { role: "user"; content: string | ChatContentPart[] }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: ChatToolCall[];
      refusal?: string;
      /** Own reasoning sent back, for compatible servers whose profile takes it. */
      reasoning_content?: string;
      reasoning?: string;
    }
  | { role: "tool"; tool_call_id: string; content: string };

/** A function tool offered to the model. */
export interface ChatTool {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean };
}

/** The request body. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  tools?: ChatTool[];
  tool_choice?: "auto" | "none" | "required" | { type: "function"; function: { name: string } };
  parallel_tool_calls?: boolean;
  response_format?: {
    type: "json_schema";
    json_schema: { name: string; description?: string; schema: Record<string, unknown>; strict?: boolean };
  };
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  seed?: number;
  reasoning_effort?: string;
  n?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  store?: boolean;
  service_tier?: string;
  user?: string;
  /** Token id → bias (-100..100). */
  logit_bias?: Record<string, number>;
}

/** Usage as reported (in the last chunk when streaming with include_usage). */
export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** A streamed tool call fragment. */
export interface ChatToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/** One streamed chunk. */
export interface ChatChunk {
  id?: string;
  model?: string;
  choices?: {
    index?: number;
    delta?: {
      content?: string | null;
      refusal?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: ChatToolCallDelta[];
    };
    finish_reason?: string | null;
  }[];
  usage?: ChatUsage | null;
  error?: { message?: string; type?: string; code?: string | number; param?: string };
}

/** A whole (non-streamed) response. */
export interface ChatCompletion {
  id?: string;
  model?: string;
  choices?: {
    index?: number;
    message?: {
      content?: string | null;
      refusal?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: ChatUsage | null;
}
