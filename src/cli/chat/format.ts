/**
 * Short text forms of chat parts: tool calls, tool results, and the usage/cost line under an answer.
 */
import type { JsonValue } from "../../turns/json.ts";
import type { AnswerMessage, AnswerPart } from "./view-model.ts";

const MAX_INLINE = 200;

function inline(value: JsonValue): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const oneLine = text.replace(/\s*\n\s*/g, " ");
  return oneLine.length > MAX_INLINE ? `${oneLine.slice(0, MAX_INLINE - 1)}…` : oneLine;
}

/**
 * A tool call on one line.
 *
 * @example
 * formatToolCall({ kind: "tool-call", id: "c1", name: "get_time", input: {} }) // "⚙ get_time({})"
 */
export function formatToolCall(part: Extract<AnswerPart, { kind: "tool-call" }>): string {
  return `⚙ ${part.name}(${inline(part.input)})`;
}

/**
 * A tool result on one line.
 *
 * @example
 * formatToolResult({ kind: "tool-result", id: "c1", name: "get_time", result: "12:00" }) // "↳ get_time: 12:00"
 */
export function formatToolResult(part: Extract<AnswerPart, { kind: "tool-result" }>): string {
  const label = part.name ?? part.id;
  if (part.error !== undefined) return `↳ ${label} failed: ${inline(part.error)}`;
  return `↳ ${label}: ${inline(part.result)}`;
}

function formatCost(total: number): string {
  if (total === 0) return "$0";
  if (total < 0.01) return `$${total.toPrecision(2)}`;
  return `$${total.toFixed(4)}`;
}

/**
 * The line under a finished answer: `[cancelled]` or the error, then tokens, cost and model.
 * Undefined while the answer streams.
 *
 * @example
 * formatAnswerFooter(answer) // "12 in · 40 out tokens · $0.00031 · gpt-4o-mini"
 */
export function formatAnswerFooter(answer: AnswerMessage): string | undefined {
  if (answer.outcome === "streaming") return undefined;
  const pieces: string[] = [];
  if (answer.outcome === "interrupted") pieces.push("[cancelled]");
  if (answer.outcome === "error") pieces.push(`[error] ${answer.error ?? "the answer failed"}`);
  const usage = answer.usage;
  if (usage && (usage.inputTokens !== undefined || usage.outputTokens !== undefined)) {
    const tokens = [`${usage.inputTokens ?? "?"} in`, `${usage.outputTokens ?? "?"} out`];
    if (usage.cachedTokens) tokens.push(`${usage.cachedTokens} cached`);
    if (usage.reasoningTokens) tokens.push(`${usage.reasoningTokens} reasoning`);
    pieces.push(`${tokens.join(" · ")} tokens`);
  }
  if (answer.cost) pieces.push(formatCost(answer.cost.total));
  if (answer.model) pieces.push(answer.model);
  return pieces.length > 0 ? pieces.join(" · ") : undefined;
}

/**
 * The chat's status line: the context used against the model's window, and the session's cost so far.
 * Undefined before any answer reported usage or cost.
 *
 * @example
 * formatGauge({ contextTokens: 1200, sessionCost: 0.0031 }, 128_000) // "context 1,200 / 128,000 tokens (1%) · session $0.0031"
 */
export function formatGauge(
  totals: { contextTokens?: number; sessionCost: number },
  contextWindow?: number,
): string | undefined {
  const pieces: string[] = [];
  if (totals.contextTokens !== undefined) {
    const used = totals.contextTokens.toLocaleString("en-US");
    if (contextWindow) {
      const percent = Math.round((100 * totals.contextTokens) / contextWindow);
      pieces.push(`context ${used} / ${contextWindow.toLocaleString("en-US")} tokens (${percent}%)`);
    } else pieces.push(`context ${used} tokens`);
  }
  if (totals.sessionCost > 0) pieces.push(`session ${formatCost(totals.sessionCost)}`);
  return pieces.length > 0 ? pieces.join(" · ") : undefined;
}

/**
 * A `status` event as one line. A retry (its `meta.extra.retry`, from the HTTP transport) reads
 * "openai: rate limited (HTTP 429), retrying in 1 s (attempt 2 of 3)"; any other status is its text.
 *
 * @example
 * formatStatus(statusEvent) // "openai: rate limited (HTTP 429), retrying in 1 s (attempt 2 of 3)"
 */
export function formatStatus(event: { text: string; meta?: { extra?: Record<string, JsonValue> } }): string {
  const retry = event.meta?.extra?.retry;
  if (retry === null || typeof retry !== "object" || Array.isArray(retry)) return event.text;
  const { attempt, maxAttempts, delayMs, status, reason } = retry;
  if (typeof attempt !== "number" || typeof maxAttempts !== "number" || typeof delayMs !== "number")
    return event.text;
  const provider = /^([\w.-]+): /.exec(event.text)?.[1];
  const why =
    status === 429 ? "rate limited (HTTP 429)" : typeof reason === "string" ? reason : "the request failed";
  const wait = delayMs < 1000 ? `${Math.round(delayMs)} ms` : `${Number((delayMs / 1000).toFixed(1))} s`;
  return `${provider === undefined ? "" : `${provider}: `}${why}, retrying in ${wait} (attempt ${attempt} of ${maxAttempts})`;
}
