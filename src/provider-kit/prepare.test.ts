/**
 * `prepareInference` resolves a Turn's configs once: Turn.data over the engine defaults per field, the allowed
 * tools only, no tools when disabled, unanswered calls answered, an invalid structured output left out with a
 * warning (or thrown when `requireValid`).
 */
import { describe, expect, it } from "vitest";
import { KeyInferenceConfig, KeyToolConfig } from "../engine/inference-config.ts";
import { KeyStructuredOutputConfig } from "../engine/structured-output.ts";
import { ToolCatalogKey } from "../engine/tools.ts";
import { RunContext } from "../events/context.ts";
import { contractCatalog } from "../providers/contract/engines.ts";
import { newToolCallBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { prepareInference } from "./prepare.ts";

const ctx = RunContext.background().with(ToolCatalogKey, contractCatalog);

describe("prepareInference", () => {
  it("merges Turn.data over the defaults and keeps only the allowed tools", () => {
    let turn = newTurn([newUserTextBlock("Hi"), newToolCallBlock({ id: "c1", name: "get_time", args: {} })]);
    turn = KeyInferenceConfig.set(turn, { temperature: 0.2 });
    turn = KeyToolConfig.set(turn, { allowedTools: ["get_weather"] });
    const prepared = prepareInference(turn, ctx, {
      dialect: "json-schema",
      inference: { temperature: 0.9, maxResponseTokens: 100 },
    });
    expect(prepared.inference).toEqual({ temperature: 0.2, maxResponseTokens: 100 });
    expect(prepared.tools.map((tool) => tool.name)).toEqual(["get_weather"]);
    expect(prepared.turn.blocks.at(-1)).toMatchObject({ kind: "tool_use", payload: { id: "c1" } });
    expect(prepared.warnings).toEqual([]);
  });

  it("offers no tools when disabled, and reports an invalid structured output it leaves out", () => {
    let turn = KeyToolConfig.set(newTurn([newUserTextBlock("Hi")]), { enabled: false });
    turn = KeyStructuredOutputConfig.set(turn, {
      mode: "json_schema",
      name: "bad name",
      schema: { type: "object" },
    });
    const prepared = prepareInference(turn, ctx, { dialect: "json-schema" });
    expect(prepared.tools).toEqual([]);
    expect(prepared.structuredOutput).toBeUndefined();
    expect(prepared.warnings).toHaveLength(1);
    expect(prepared.warnings[0]).toMatch(/^structured output config ignored: name "bad name" must match/);
  });
});
