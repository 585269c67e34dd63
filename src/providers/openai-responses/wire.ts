/**
 * The OpenAI Responses wire format, as far as this engine reads and writes it (types only).
 *
 * Kept loose on purpose: unknown fields are carried through untouched, so a newer API version does not break
 * parsing. Field names are the provider's (snake_case).
 */
import type { JsonObject, JsonValue } from "../../turns/json.ts";

/** One item of the `input` array. */
export type ResponsesInputItem = JsonObject & { type: string };

/** A request body for `POST /responses`. */
export interface ResponsesRequestBody {
  model: string;
  input: ResponsesInputItem[];
  instructions?: string;
  stream?: boolean;
  tools?: JsonObject[];
  tool_choice?: JsonValue;
  parallel_tool_calls?: boolean;
  reasoning?: { effort?: string; summary?: string };
  include?: string[];
  text?: { format: JsonObject };
  temperature?: number;
  top_p?: number;
  max_output_tokens?: number;
  store?: boolean;
  service_tier?: string;
  user?: string;
  [field: string]: JsonValue | undefined;
}

/** An output item (`message`, `reasoning`, `function_call`, `web_search_call`, …). */
export interface ResponsesOutputItem {
  id?: string;
  type: string;
  status?: string;
  role?: string;
  content?: { type: string; text?: string; refusal?: string; annotations?: JsonObject[] }[];
  summary?: { type: string; text: string }[];
  encrypted_content?: string | null;
  call_id?: string;
  name?: string;
  arguments?: string;
  action?: { type?: string; query?: string; sources?: JsonValue };
  [field: string]: unknown;
}

/** Token usage of a response. */
export interface ResponsesUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
}

/** An error object inside a response or an `error` stream event. */
export interface ResponsesError {
  type?: string | null;
  code?: string | null;
  message?: string;
  param?: string | null;
}

/** A response object (the non-streaming body, and inside `response.*` lifecycle events). */
export interface ResponsesResponse {
  id?: string;
  model?: string;
  status?: string;
  output?: ResponsesOutputItem[];
  usage?: ResponsesUsage | null;
  error?: ResponsesError | null;
  incomplete_details?: { reason?: string } | null;
  [field: string]: unknown;
}

/** One streamed event (the JSON `data:` payload of an SSE event). */
export interface ResponsesStreamEvent {
  type: string;
  response?: ResponsesResponse;
  item?: ResponsesOutputItem;
  item_id?: string;
  output_index?: number;
  content_index?: number;
  summary_index?: number;
  delta?: string;
  text?: string;
  arguments?: string;
  annotation?: JsonObject;
  error?: ResponsesError;
  code?: string | null;
  message?: string;
  param?: string | null;
  [field: string]: unknown;
}
