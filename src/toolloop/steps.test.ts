import { describe, expect, it } from "vitest";
import type { Engine } from "../engine/engine.ts";
import { KeyInferenceConfig, KeyToolConfig } from "../engine/inference-config.ts";
import { toolsFromContext } from "../engine/tools.ts";
import { RunContext } from "../events/context.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { calculatorTool, timeTool } from "../tools/demo.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { runToolLoop } from "./loop.ts";
import { hasToolCall, type StepRecord, stepCountIs } from "./steps.ts";

const input = () => newTurn([newUserTextBlock("what is 6*7?")]);
const calls = (id: string) => [
  script.toolCall("calculator", { expression: "6*7" }, { id }),
  script.usage({ inputTokens: 10, outputTokens: 3 }),
  script.stop("tool_calls"),
];

describe("tool loop step control", () => {
  it("records every step with its calls, results, usage and finish class, and calls onStepFinish after each", async () => {
    const engine = new ScriptedEngine([
      calls("c1"),
      [...script.text("It is 42."), script.usage({ outputTokens: 4 })],
    ]);
    const finished: StepRecord[] = [];
    const result = await runToolLoop(input(), RunContext.background(), {
      engine,
      registry: new ToolRegistry([calculatorTool]),
      onStepFinish: (step) => {
        finished.push(step);
      },
    });
    expect(result.status).toBe("completed");
    expect(result.steps.map((step) => step.stepNumber)).toEqual([1, 2]);
    const [first, second] = result.steps;
    expect(first!.toolCalls.map((call) => call.name)).toEqual(["calculator"]);
    expect(first!.toolResults.map((item) => [item.toolCallId, item.status, item.result])).toEqual([
      ["c1", "ok", { expression: "6*7", result: 42 }],
    ]);
    expect(first!.usage).toMatchObject({ inputTokens: 10, outputTokens: 3 });
    expect(first!.finishClass).toBe("tool_calls_pending");
    expect(first!.turn.blocks.some((block) => block.kind === "tool_use")).toBe(true);
    expect(second).toMatchObject({ text: "It is 42.", finishClass: "completed", toolCalls: [] });
    expect(finished).toEqual(result.steps);
  });

  it("stopWhen ends the loop after the step where a condition holds", async () => {
    const engine = new ScriptedEngine([calls("c1"), calls("c2"), calls("c3"), script.text("done")]);
    const registry = new ToolRegistry([calculatorTool]);
    const byCount = await runToolLoop(input(), RunContext.background(), {
      engine,
      registry,
      stopWhen: stepCountIs(2),
    });
    expect(byCount).toMatchObject({ status: "stopped", iterations: 2 });
    const byTool = await runToolLoop(input(), RunContext.background(), {
      engine: new ScriptedEngine([calls("c1"), script.text("done")]),
      registry,
      stopWhen: [({ steps }) => steps.length > 5, hasToolCall("calculator")],
    });
    expect(byTool).toMatchObject({ status: "stopped", iterations: 1 });
    expect(byTool.steps[0]!.toolResults).toHaveLength(1);
  });

  it("prepareStep changes the engine, tools, tool choice and inference config of one step only", async () => {
    const scripted = new ScriptedEngine([calls("c1")], { recordInputs: true });
    const offered: string[][] = [];
    const first: Engine = {
      runInference(turn, ctx) {
        offered.push(toolsFromContext(ctx, "json-schema").map((tool) => tool.name));
        return scripted.runInference(turn, ctx);
      },
    };
    const second = new ScriptedEngine([script.text("42")], { recordInputs: true });
    const seen: { step: number; tools: string[] }[] = [];
    const result = await runToolLoop(input(), RunContext.background(), {
      engine: second,
      registry: new ToolRegistry([calculatorTool, timeTool]),
      prepareStep: ({ stepNumber, steps }) => {
        seen.push({
          step: stepNumber,
          tools: steps.flatMap((step) => step.toolCalls.map((call) => call.name)),
        });
        return stepNumber === 1
          ? {
              engine: first,
              toolChoice: "required",
              inference: { temperature: 0 },
              activeTools: ["calculator"],
            }
          : undefined;
      },
    });
    expect(offered).toEqual([["calculator"]]);
    expect(result.status).toBe("completed");
    expect(seen).toEqual([
      { step: 1, tools: [] },
      { step: 2, tools: ["calculator"] },
    ]);
    expect(KeyToolConfig.get(scripted.inputs[0]!)).toEqual({ toolChoice: "required" });
    expect(KeyInferenceConfig.get(scripted.inputs[0]!)).toEqual({ temperature: 0 });
    expect(KeyToolConfig.get(second.inputs[0]!)).toBeUndefined();
    expect(KeyInferenceConfig.get(result.turn)).toBeUndefined();
  });
});
