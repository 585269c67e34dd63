/**
 * A scripted responder that uses tools, for the embedded default and for tests: when the run context offers a
 * `calculator` tool and the prompt holds arithmetic, it calls `calculator`; when it offers `time` and the
 * prompt asks for the time or date, it calls `time`; on the next iteration it answers from the tool result.
 * Otherwise it answers like the embedded default.
 */
import { toolsFromContext } from "../engine/tools.ts";
import type { RunContext } from "../events/context.ts";
import type { JsonValue } from "../turns/json.ts";
import type { Turn } from "../turns/types.ts";
import { embeddedDefaultAnswer } from "./embedded-default.ts";
import { ScriptedEngine, type ScriptStep, script } from "./scripted-engine.ts";

const ARITHMETIC = /[-+(]*\s*\d[\d.\s]*(?:[-+*/%^]\s*[-+(\s]*\d[\d.\s)]*)+/;
const ASKS_TIME = /\b(time|date|clock|what day|today)\b/i;

function lastUserIndex(turn: Turn): number {
  for (let index = turn.blocks.length - 1; index >= 0; index--)
    if (turn.blocks[index]!.kind === "user") return index;
  return -1;
}

function describe(name: string | undefined, result: JsonValue, error: string | undefined): string {
  if (error !== undefined) return `The ${name ?? "tool"} tool reported an error: ${error}.`;
  const record = typeof result === "object" && result !== null && !Array.isArray(result) ? result : {};
  if (name === "calculator" && record.result !== undefined) return `${record.expression} = ${record.result}.`;
  if (name === "time" && typeof record.local === "string") return `It is ${record.local} (${record.iso}).`;
  return `The ${name ?? "tool"} tool returned ${JSON.stringify(result)}.`;
}

/**
 * The responder: a `ScriptResponse` function for {@link ScriptedEngine}.
 *
 * @example
 * const engine = new ScriptedEngine(toolUsingAnswer, { repeatLast: true });
 */
export function toolUsingAnswer(turn: Turn, ctx: RunContext): ScriptStep[] {
  const userIndex = lastUserIndex(turn);
  const prompt = userIndex >= 0 ? (turn.blocks[userIndex]!.payload as { text: string }).text : "";
  const results = turn.blocks.slice(userIndex + 1).filter((block) => block.kind === "tool_use");
  if (results.length > 0) {
    const text = results
      .map((block) => describe(block.payload.name, block.payload.result, block.payload.error))
      .join(" ");
    return [...script.text(text), script.usage({ inputTokens: 20, outputTokens: 12 }), script.stop("stop")];
  }
  const tools = new Set(toolsFromContext(ctx, "json-schema").map((tool) => tool.name));
  const arithmetic = ARITHMETIC.exec(prompt)?.[0]?.trim();
  if (tools.has("calculator") && arithmetic && /[-+*/%^]/.test(arithmetic.replace(/^[-+]/, ""))) {
    return [script.toolCall("calculator", { expression: arithmetic }), script.stop("tool_calls")];
  }
  if (tools.has("time") && ASKS_TIME.test(prompt)) {
    return [script.toolCall("time", {}), script.stop("tool_calls")];
  }
  return embeddedDefaultAnswer(turn);
}

/**
 * The embedded default with tool use (what `geppetto run --tools demo` runs when no provider is configured).
 *
 * @example
 * const engine = createEmbeddedToolUsingEngine();
 */
export function createEmbeddedToolUsingEngine(options: { pacingMs?: number } = {}): ScriptedEngine {
  return new ScriptedEngine(toolUsingAnswer, {
    model: "geppetto-embedded-default",
    provider: "embedded",
    repeatLast: true,
    pacingMs: options.pacingMs ?? 0,
  });
}
