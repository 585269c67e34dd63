/**
 * Tool results in the Turn: each `tool_use` block sits right after the run of `tool_call` blocks that asked for
 * it, in call order — the layout every provider accepts (an assistant message with its calls, then the results).
 */
import { publish, type RunContext } from "../events/context.ts";
import { newId, newToolUseBlock, pendingToolCalls } from "../turns/builders.ts";
import type { Block, ToolUseBlock, Turn } from "../turns/types.ts";
import type { ToolCallStatus, ToolExecutionResult } from "./executor.ts";

/**
 * Moves every `tool_use` block right after the run of `tool_call` blocks holding its call (in call order).
 * Results with no matching call stay where they are. Returns a new Turn.
 *
 * @example
 * placeToolResults(turn).blocks.map((b) => b.kind) // ["user", "tool_call", "tool_call", "tool_use", "tool_use"]
 */
export function placeToolResults(turn: Turn): Turn {
  const callIds = new Set<string>();
  for (const block of turn.blocks) if (block.kind === "tool_call") callIds.add(block.payload.id);
  const uses = new Map<string, ToolUseBlock[]>();
  for (const block of turn.blocks) {
    if (block.kind === "tool_use" && callIds.has(block.payload.id)) {
      uses.set(block.payload.id, [...(uses.get(block.payload.id) ?? []), block]);
    }
  }
  const out: Block[] = [];
  let run: string[] = [];
  const flush = () => {
    for (const id of run) out.push(...(uses.get(id) ?? []));
    run = [];
  };
  for (const block of turn.blocks) {
    if (block.kind === "tool_use" && callIds.has(block.payload.id)) continue;
    if (block.kind === "tool_call") {
      out.push(block);
      run.push(block.payload.id);
      continue;
    }
    flush();
    out.push(block);
  }
  flush();
  return { ...turn, blocks: out };
}

/**
 * A `tool_use` block for a result.
 *
 * @example
 * toolUseBlockFor(results[0]).payload // { id: "call_1", result: 42, name: "calculator" }
 */
export function toolUseBlockFor(result: ToolExecutionResult): ToolUseBlock {
  return newToolUseBlock(
    result.toolCallId,
    result.result,
    result.error === undefined ? { name: result.name } : { name: result.name, error: result.error },
  );
}

/**
 * Adds the results to the Turn as `tool_use` blocks next to their calls, publishing a `tool-result` event for
 * each. Returns a new Turn.
 *
 * @example
 * const next = appendToolResults(turn, results, ctx);
 */
export function appendToolResults(
  turn: Turn,
  results: readonly ToolExecutionResult[],
  ctx?: RunContext,
): Turn {
  if (results.length === 0) return turn;
  const blocks = results.map(toolUseBlockFor);
  const placed = placeToolResults({ ...turn, blocks: [...turn.blocks, ...blocks] });
  if (ctx) {
    for (const result of results) {
      publish(ctx, {
        type: "tool-result",
        toolResult: {
          id: result.toolCallId,
          name: result.name,
          result: result.result,
          durationMs: result.durationMs,
          ...(result.error === undefined ? {} : { error: result.error }),
        },
        meta: { id: newId(), seq: 0 },
      });
    }
  }
  return placed;
}

/** What a request builder tells the model about a call that has no result in the Turn. */
export const UNANSWERED_CALL_REASON = "not executed: this tool call never ran and has no result";

/**
 * Results for the calls of a Turn that have none, saying why they never ran (`cancelled`, `not executed`), in the
 * order of the calls.
 *
 * @example
 * notExecutedResults(turn, "cancelled", "cancelled before this tool ran")
 */
export function notExecutedResults(
  turn: Turn,
  status: ToolCallStatus,
  reason: string,
): ToolExecutionResult[] {
  return pendingToolCalls(turn).map((block) => ({
    toolCallId: block.payload.id,
    name: block.payload.name,
    status,
    result: null,
    error: reason,
    attempts: 0,
    durationMs: 0,
  }));
}

/**
 * The Turn with an error result for every tool call that has none, placed next to its call. Every provider
 * rejects a request holding a call without its result (HTTP 400), so the request builders send a Turn through
 * this: a Turn left that way (cancelled before its tools ran, saved by an older version, assembled by hand) cannot
 * poison a session. Returns the Turn itself when every call has its result.
 *
 * @example
 * answerUnansweredToolCalls(turn).blocks.filter((b) => b.kind === "tool_use").length // one per call
 */
export function answerUnansweredToolCalls(turn: Turn, reason: string = UNANSWERED_CALL_REASON): Turn {
  const missing = notExecutedResults(turn, "not_executed", reason);
  return missing.length === 0 ? turn : appendToolResults(turn, missing);
}
