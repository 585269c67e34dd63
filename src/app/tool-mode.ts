/**
 * The forced tool call: for a model or server without a native JSON mode, the schema is offered as the one
 * tool the model must call, and the call's arguments are the answer. Every call gets a result, so the Turn stays
 * valid for every provider (a repair is sent as that result's error).
 */
import { KeyToolConfig, mergeConfig } from "../engine/inference-config.ts";
import type { SchemaDialect, ToolCatalog, ToolDescription } from "../engine/tools.ts";
import { compileForDialect } from "../tools/dialects.ts";
import { appendBlock, newToolUseBlock, pendingToolCalls } from "../turns/builders.ts";
import type { JsonObject } from "../turns/json.ts";
import type { ToolCallPayload, Turn } from "../turns/types.ts";

/**
 * The one tool offered: the answer schema as its input, compiled for whichever dialect the engine asks.
 *
 * @example
 * ctx.with(ToolCatalogKey, answerToolCatalog("person", "The person", schema))
 */
export function answerToolCatalog(name: string, description: string, schema: JsonObject): ToolCatalog {
  const compiled = new Map<SchemaDialect, ToolDescription[]>();
  return {
    toolsFor(dialect) {
      let tools = compiled.get(dialect);
      if (!tools) {
        const parameters = compileForDialect(schema, dialect);
        tools = [{ name, description, parameters, ...(dialect === "openai-strict" ? { strict: true } : {}) }];
        compiled.set(dialect, tools);
      }
      return tools;
    },
  };
}

/** The Turn with the answer tool forced (tool choice set to it). */
export function forceAnswerTool(turn: Turn, name: string): Turn {
  return KeyToolConfig.set(turn, mergeConfig(KeyToolConfig.get(turn), { toolChoice: { name } }));
}

/** The answer tool's call in the Turn, if the model made it, and the text it stands for. */
export function answerCall(turn: Turn, name: string): ToolCallPayload | undefined {
  return pendingToolCalls(turn).find((block) => block.payload.name === name)?.payload;
}

/** The raw text of an answer call (its argument JSON as sent, when it was not an object). */
export function answerCallText(call: ToolCallPayload): string {
  return call.argsText ?? JSON.stringify(call.args);
}

/**
 * Answers every pending call of the Turn: the answer tool's with `result` (or the repair `error`), others with
 * an error saying only the answer tool runs. Restores the caller's tool config.
 */
export function settleAnswerCalls(
  turn: Turn,
  name: string,
  outcome: { error: string } | { result: string },
  callerToolConfig: Turn,
): Turn {
  const blocks = pendingToolCalls(turn).map((block) => {
    if (block.payload.name !== name) {
      return newToolUseBlock(block.payload.id, null, {
        name: block.payload.name,
        error: `not executed: only "${name}" is available`,
      });
    }
    return "error" in outcome
      ? newToolUseBlock(block.payload.id, null, { name, error: outcome.error })
      : newToolUseBlock(block.payload.id, outcome.result, { name });
  });
  const answered = blocks.length > 0 ? appendBlock(turn, ...blocks) : turn;
  const config = KeyToolConfig.get(callerToolConfig);
  return config === undefined ? KeyToolConfig.delete(answered) : KeyToolConfig.set(answered, config);
}
