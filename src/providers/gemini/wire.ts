/**
 * The Gemini `generateContent` wire format, as far as this engine reads and writes it (types only).
 *
 * Kept loose on purpose: unknown fields pass through untouched, so a newer API version does not break parsing.
 * Field names are the provider's (camelCase; the REST API also accepts snake_case, which we never send).
 */
import type { PartialArg } from "../../provider-kit/partial-args.ts";
import type { JsonObject, JsonValue } from "../../turns/json.ts";

/** One streamed piece of a function call's arguments (`streamFunctionCallArguments`). */
export type GeminiPartialArg = PartialArg;

/** A function call part. `id` is only sent by some API surfaces; Gemini usually gives none. */
export interface GeminiFunctionCall {
  id?: string;
  name?: string;
  args?: JsonObject;
  partialArgs?: GeminiPartialArg[];
  willContinue?: boolean;
}

/** A function response part (our `tool_use` blocks). */
export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  response: JsonObject;
}

/** One part of a content. Exactly one data field is set, plus the optional `thought` flag and signature. */
export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  [field: string]: unknown;
}

/** One message of the conversation. Roles are `user` and `model`. */
export interface GeminiContent {
  role?: "user" | "model";
  parts: GeminiPart[];
}

/** The request body of `:generateContent` and `:streamGenerateContent`. */
export interface GeminiRequestBody {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: JsonObject[];
  toolConfig?: { functionCallingConfig: JsonObject };
  generationConfig?: JsonObject;
  safetySettings?: JsonObject[];
  cachedContent?: string;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

/** Token counts of a response (cumulative in a stream: each chunk repeats the totals so far). */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
  [field: string]: unknown;
}

/** One candidate answer (the engine reads candidate 0). `finishReason` is an int in `enum-encoding=int`. */
export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string | number;
  finishMessage?: string;
  index?: number;
  [field: string]: unknown;
}

/** A google.rpc error (`{error: {code, message, status, details}}`). */
export interface GeminiError {
  code?: number;
  message?: string;
  status?: string;
  details?: JsonValue[];
}

/** A whole response, and each streamed chunk. */
export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  promptFeedback?: { blockReason?: string | number; blockReasonMessage?: string; [field: string]: unknown };
  error?: GeminiError;
  [field: string]: unknown;
}
