/**
 * Gemini finish reasons, usage and errors in geppetto's terms.
 *
 * Finish reasons arrive as names (`"STOP"`) or, in the `enum-encoding=int` JSON-array form, as numbers (`1`);
 * both map to the same name and finish class:
 *
 * | reason | finish class |
 * | --- | --- |
 * | STOP | `completed`, or `tool_calls_pending` when the answer holds function calls |
 * | MAX_TOKENS | `max_tokens` (truncated) |
 * | SAFETY, RECITATION, LANGUAGE, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_* , NO_IMAGE | `unknown` (output filtered; a `log` warning says why) |
 * | MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, MISSING_THOUGHT_SIGNATURE, MALFORMED_RESPONSE | `error` (the model's output was unusable; a `log` warning says why) |
 * | OTHER, FINISH_REASON_UNSPECIFIED, anything new | `unknown` |
 */

import type { FinishClass } from "../../engine/engine.ts";
import type { ProviderError } from "../../engine/errors.ts";
import type { Usage } from "../../events/types.ts";
import { midStreamError } from "../../provider-kit/stream-error.ts";
import type { ProviderErrorFields } from "../transport/index.ts";
import { GEMINI_PROVIDER } from "./descriptor.ts";
import type { GeminiError, GeminiUsageMetadata } from "./wire.ts";

/** `Candidate.FinishReason` by number (google.ai.generativelanguage.v1beta). */
const FINISH_REASONS: readonly string[] = [
  "FINISH_REASON_UNSPECIFIED",
  "STOP",
  "MAX_TOKENS",
  "SAFETY",
  "RECITATION",
  "OTHER",
  "LANGUAGE",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "MALFORMED_FUNCTION_CALL",
  "IMAGE_SAFETY",
  "UNEXPECTED_TOOL_CALL",
];

/** `PromptFeedback.BlockReason` by number. */
const BLOCK_REASONS: readonly string[] = [
  "BLOCK_REASON_UNSPECIFIED",
  "SAFETY",
  "OTHER",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "IMAGE_SAFETY",
];

const FILTERED = new Set([
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
  "IMAGE_OTHER",
  "NO_IMAGE",
]);

const UNUSABLE = new Set([
  "MALFORMED_FUNCTION_CALL",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS",
  "MISSING_THOUGHT_SIGNATURE",
  "MALFORMED_RESPONSE",
]);

/**
 * The name of a finish reason given as a name or an enum number.
 *
 * @example
 * finishReasonName(2) // "MAX_TOKENS"
 */
export function finishReasonName(reason: string | number): string {
  if (typeof reason === "string") return reason;
  return FINISH_REASONS[reason] ?? `FINISH_REASON_${reason}`;
}

/**
 * The name of a prompt block reason given as a name or an enum number.
 *
 * @example
 * blockReasonName(1) // "SAFETY"
 */
export function blockReasonName(reason: string | number): string {
  if (typeof reason === "string") return reason;
  return BLOCK_REASONS[reason] ?? `BLOCK_REASON_${reason}`;
}

/**
 * The finish class of a finish reason name; `undefined` for STOP, whose class depends on the output.
 *
 * @example
 * geminiFinishClass("MAX_TOKENS") // "max_tokens"
 */
export function geminiFinishClass(name: string): FinishClass | undefined {
  if (name === "STOP") return undefined;
  if (name === "MAX_TOKENS") return "max_tokens";
  if (UNUSABLE.has(name)) return "error";
  return "unknown";
}

/**
 * A readable warning for a finish reason that filtered or spoiled the output, or undefined.
 *
 * @example
 * finishWarning("SAFETY", undefined) // "gemini stopped with SAFETY: the output was blocked by a filter"
 */
export function finishWarning(name: string, message: string | undefined): string | undefined {
  const detail = message ? `: ${message}` : "";
  if (FILTERED.has(name)) return `gemini stopped with ${name}: the output was blocked by a filter${detail}`;
  if (UNUSABLE.has(name)) return `gemini stopped with ${name}: the model's output was unusable${detail}`;
  return undefined;
}

/**
 * Gemini usage in geppetto's terms. `outputTokens` counts answer and thought tokens (both are billed as output,
 * and `inputTokens + outputTokens = totalTokens`); `reasoningTokens` is the thought part of it.
 *
 * @example
 * usageFromGemini({ promptTokenCount: 9, candidatesTokenCount: 28, thoughtsTokenCount: 244, totalTokenCount: 281 })
 * // { inputTokens: 9, outputTokens: 272, reasoningTokens: 244, totalTokens: 281 }
 */
export function usageFromGemini(usage: GeminiUsageMetadata): Usage {
  const result: Usage = {};
  if (usage.promptTokenCount !== undefined) result.inputTokens = usage.promptTokenCount;
  const answer = usage.candidatesTokenCount;
  const thoughts = usage.thoughtsTokenCount;
  if (answer !== undefined || thoughts !== undefined) result.outputTokens = (answer ?? 0) + (thoughts ?? 0);
  if (thoughts !== undefined) result.reasoningTokens = thoughts;
  if (usage.cachedContentTokenCount !== undefined) result.cachedTokens = usage.cachedContentTokenCount;
  if (usage.totalTokenCount !== undefined) result.totalTokens = usage.totalTokenCount;
  return result;
}

interface ErrorDetail {
  "@type"?: string;
  reason?: string;
  fieldViolations?: { field?: string }[];
}

function detailsOf(error: GeminiError): ErrorDetail[] {
  const details = Array.isArray(error.details) ? error.details : [];
  return details.filter((detail) => typeof detail === "object" && detail !== null) as ErrorDetail[];
}

/**
 * Reads a google.rpc error body (`{error: {code, message, status, details}}`, also inside a JSON array):
 * type = `status`, code = the ErrorInfo `reason`, param = the first BadRequest field violation.
 *
 * @example
 * geminiErrorFields({ error: { code: 400, message: "bad", status: "INVALID_ARGUMENT" } })
 * // { message: "bad", type: "INVALID_ARGUMENT" }
 */
export function geminiErrorFields(body: unknown): ProviderErrorFields {
  const root = Array.isArray(body) ? body[0] : body;
  if (typeof root === "string") return root.trim() ? { message: root.trim().slice(0, 500) } : {};
  const error = (root as { error?: GeminiError } | null)?.error;
  if (typeof error !== "object" || error === null) return {};
  const fields: ProviderErrorFields = {};
  if (error.message) fields.message = error.message;
  if (error.status) fields.type = error.status;
  for (const detail of detailsOf(error)) {
    if (detail.reason && fields.code === undefined) fields.code = detail.reason;
    const field = detail.fieldViolations?.[0]?.field;
    if (field && fields.param === undefined) fields.param = field;
  }
  return fields;
}

/**
 * The ProviderError of an error object sent inside a 200 stream (retryable for 408/409/429/5xx codes).
 *
 * @example
 * geminiStreamError({ code: 503, message: "overloaded", status: "UNAVAILABLE" }).retryable // true
 */
export function geminiStreamError(error: GeminiError): ProviderError {
  const fields = geminiErrorFields({ error });
  return midStreamError({
    provider: GEMINI_PROVIDER,
    status: typeof error.code === "number" ? error.code : undefined,
    type: fields.type,
    code: fields.code,
    message: fields.message,
    param: fields.param,
  });
}
