import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { KeyInferenceResult } from "../engine/engine.ts";
import { KeyToolConfig } from "../engine/inference-config.ts";
import { CollectingSink, RunContext } from "../events/context.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { defineTool } from "../tools/define-tool.ts";
import { calculatorTool } from "../tools/demo.ts";
import { ToolExecutionAbortedError } from "../tools/executor.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import { KeyToolLoopOutcome, runToolLoop } from "./loop.ts";
import { type SnapshotPhase, withSnapshotHook } from "./snapshot.ts";
import { StepController } from "./step-control.ts";

const input = () => newTurn([newUserTextBlock("what is 6*7?")]);
const registry = () => new ToolRegistry([calculatorTool]);
const callsCalculator = (id: string) => [
  script.toolCall("calculator", { expression: "6*7" }, { id }),
  script.stop("tool_calls"),
];

afterEach(() => {
  vi.useRealTimers();
});

describe("runToolLoop", () => {
  it("runs inference, executes the calls, places results next to them, and answers", async () => {
    const engine = new ScriptedEngine([callsCalculator("c1"), script.text("It is 42.")], {
      recordInputs: true,
    });
    const phases: SnapshotPhase[] = [];
    const sink = new CollectingSink();
    const ctx = withSnapshotHook(RunContext.background().withSinks(sink), (_turn, phase) => {
      phases.push(phase);
    });
    const result = await runToolLoop(input(), ctx, {
      engine,
      registry: registry(),
      tools: { toolChoice: "auto" },
    });
    expect(result.status).toBe("completed");
    expect(result.iterations).toBe(2);
    expect(result.turn.blocks.map((block) => block.kind)).toEqual([
      "user",
      "tool_call",
      "tool_use",
      "llm_text",
    ]);
    expect(KeyToolLoopOutcome.get(result.turn)).toEqual({ status: "completed", iterations: 2 });
    expect(KeyToolConfig.get(engine.inputs[0]!)).toEqual({ toolChoice: "auto" });
    expect(phases).toEqual([
      "pre_inference",
      "post_inference",
      "post_tools",
      "pre_inference",
      "post_inference",
    ]);
    expect(sink.ofType("tool-result").map((event) => event.toolResult.result)).toEqual([
      { expression: "6*7", result: 42 },
    ]);
  });

  it("stops at maxIterations with a typed outcome carrying the Turn", async () => {
    const engine = new ScriptedEngine((_turn, _ctx, call) => callsCalculator(`c${call}`), {
      repeatLast: true,
    });
    const result = await runToolLoop(input(), RunContext.background(), {
      engine,
      registry: registry(),
      loop: { maxIterations: 3 },
    });
    expect(result.status).toBe("max_iterations");
    expect(result.iterations).toBe(3);
    expect(engine.calls).toBe(3);
    expect(result.turn.blocks.filter((block) => block.kind === "tool_use")).toHaveLength(3);
    expect(KeyToolLoopOutcome.get(result.turn)?.status).toBe("max_iterations");
  });

  it("sends a denial at a pause back to the model as an error result", async () => {
    const engine = new ScriptedEngine(
      [
        [
          ...callsCalculator("c1").slice(0, 1),
          script.toolCall("calculator", { expression: "1+1" }, { id: "c2" }),
        ],
        script.text("OK."),
      ],
      { recordInputs: true },
    );
    const steps = new StepController({ afterInference: true });
    steps.onPause((pause) => {
      expect(pause.toolCalls.map((call) => call.id)).toEqual(["c1", "c2"]);
      steps.decide(pause.id, { deny: [{ id: "c2", reason: "too easy" }] });
    });
    const result = await runToolLoop(input(), RunContext.background(), {
      engine,
      registry: registry(),
      stepControl: steps,
    });
    const uses = result.turn.blocks.filter((block) => block.kind === "tool_use");
    expect(uses.map((block) => [block.payload.id, block.payload.error])).toEqual([
      ["c1", undefined],
      ["c2", "the user denied this tool call: too easy"],
    ]);
    expect(engine.inputs[1]!.blocks.map((block) => block.kind)).toContain("tool_use");
    expect(steps.pending()).toEqual([]);
  });

  it("applies the step timeout behaviour and leaves no timer", async () => {
    vi.useFakeTimers();
    const engine = new ScriptedEngine([callsCalculator("c1"), script.text("Denied, fine.")]);
    const steps = new StepController({ afterInference: true, timeoutMs: 5_000, onTimeout: "deny" });
    const pending = runToolLoop(input(), RunContext.background(), {
      engine,
      registry: registry(),
      stepControl: steps,
    });
    await vi.advanceTimersByTimeAsync(5_000);
    const result = await pending;
    const use = result.turn.blocks.find((block) => block.kind === "tool_use");
    expect(use?.payload).toMatchObject({
      error: "the user denied this tool call: no approval before the step timeout",
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops when a pause after tools says stop", async () => {
    const engine = new ScriptedEngine([callsCalculator("c1"), script.text("never")]);
    const steps = new StepController({
      afterInference: false,
      afterTools: true,
      decide: () => ({ stop: true }),
    });
    const result = await runToolLoop(input(), RunContext.background(), {
      engine,
      registry: registry(),
      stepControl: steps,
    });
    expect(result.status).toBe("stopped");
    expect(engine.calls).toBe(1);
  });

  it("under errorPolicy abort rejects with a typed error whose Turn keeps the finished results", async () => {
    const fails = defineTool({
      name: "fails",
      description: "",
      input: z.object({}),
      execute: () => {
        throw new Error("disk full");
      },
    });
    const engine = new ScriptedEngine([
      [
        script.toolCall("calculator", { expression: "1+1" }, { id: "c1" }),
        script.toolCall("fails", {}, { id: "c2" }),
      ],
    ]);
    const error = await runToolLoop(input(), RunContext.background(), {
      engine,
      registry: new ToolRegistry([calculatorTool, fails]),
      tools: { errorPolicy: "abort", maxParallelTools: 1 },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolExecutionAbortedError);
    const turn = (error as ToolExecutionAbortedError).turn as Turn;
    expect(
      turn.blocks.filter((block) => block.kind === "tool_use").map((block) => block.payload.error),
    ).toEqual([undefined, "disk full"]);
  });

  it("ends as interrupted, with an interrupt event, when cancelled during tools", async () => {
    const controller = new AbortController();
    const waits = defineTool({
      name: "waits",
      description: "",
      input: z.object({}),
      execute: (_args, { signal }) => {
        controller.abort();
        return new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        );
      },
    });
    const sink = new CollectingSink();
    const engine = new ScriptedEngine([[script.toolCall("waits", {}, { id: "c1" })]]);
    const result = await runToolLoop(
      input(),
      RunContext.background().withSinks(sink).withSignal(controller.signal),
      {
        engine,
        registry: new ToolRegistry([waits]),
      },
    );
    expect(result.status).toBe("interrupted");
    expect(KeyInferenceResult.get(result.turn)?.finishClass).toBe("interrupted");
    expect(sink.ofType("interrupt")).toHaveLength(1);
    expect(result.turn.blocks.find((block) => block.kind === "tool_use")?.payload.error).toBe("cancelled");
  });
});
