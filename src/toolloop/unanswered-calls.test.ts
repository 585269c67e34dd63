/**
 * Every tool call the loop leaves behind has a result: calls that never ran get one saying so (visible to the
 * model), whether the run was cancelled after the model asked for them, stopped at a pause, aborted by an
 * earlier tool's failure, or the inference failed after streaming them.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { GeppettoError } from "../engine/errors.ts";
import { CollectingSink, RunContext } from "../events/context.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { defineTool } from "../tools/define-tool.ts";
import { calculatorTool } from "../tools/demo.ts";
import { ToolExecutionAbortedError } from "../tools/executor.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { newTurn, newUserTextBlock, pendingToolCalls } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import { runToolLoop } from "./loop.ts";
import { StepController } from "./step-control.ts";

const input = () => newTurn([newUserTextBlock("what is 6*7?")]);
const twoCalls = () => [
  script.toolCall("calculator", { expression: "6*7" }, { id: "c1" }),
  script.toolCall("calculator", { expression: "1+1" }, { id: "c2" }),
  script.stop("tool_calls"),
];
const errorsOf = (turn: Turn) =>
  turn.blocks.flatMap((block) =>
    block.kind === "tool_use" ? [[block.payload.id, block.payload.error]] : [],
  );

describe("tool calls that never ran", () => {
  it("cancelled after the model streamed the calls: each gets a `cancelled` result and a tool-result event", async () => {
    const controller = new AbortController();
    const sink = new CollectingSink();
    const ctx = RunContext.background()
      .withSignal(controller.signal)
      .withSinks(sink, {
        publish: (event) => {
          if (event.type === "tool-call" && event.toolCall.id === "c2") controller.abort();
        },
      });
    const result = await runToolLoop(input(), ctx, {
      engine: new ScriptedEngine([twoCalls()]),
      registry: new ToolRegistry([calculatorTool]),
    });
    expect(result.status).toBe("interrupted");
    expect(pendingToolCalls(result.turn)).toEqual([]);
    expect(errorsOf(result.turn)).toEqual([
      ["c1", "cancelled: the run was cancelled before this tool ran"],
      ["c2", "cancelled: the run was cancelled before this tool ran"],
    ]);
    expect(sink.ofType("tool-result").map((event) => event.toolResult.id)).toEqual(["c1", "c2"]);
    expect(result.turn.blocks.map((block) => block.kind)).toEqual([
      "user",
      "tool_call",
      "tool_call",
      "tool_use",
      "tool_use",
    ]);
  });

  it("stopped at a pause after the inference: `not executed`", async () => {
    const steps = new StepController({ afterInference: true });
    steps.onPause((pause) => steps.decide(pause.id, { stop: true }));
    const result = await runToolLoop(input(), RunContext.background(), {
      engine: new ScriptedEngine([twoCalls()]),
      registry: new ToolRegistry([calculatorTool]),
      stepControl: steps,
    });
    expect(result.status).toBe("stopped");
    expect(errorsOf(result.turn).map(([, error]) => error)).toEqual([
      "not executed: the run was stopped before this tool ran",
      "not executed: the run was stopped before this tool ran",
    ]);
  });

  it("under errorPolicy abort, calls after the failed one say why they did not run", async () => {
    const fails = defineTool({
      name: "fails",
      description: "always fails",
      input: z.object({}),
      execute: () => {
        throw new Error("disk full");
      },
    });
    const engine = new ScriptedEngine([
      [
        script.toolCall("fails", {}, { id: "c1" }),
        script.toolCall("calculator", { expression: "1+1" }, { id: "c2" }),
      ],
    ]);
    const error = await runToolLoop(input(), RunContext.background(), {
      engine,
      registry: new ToolRegistry([calculatorTool, fails]),
      tools: { errorPolicy: "abort", maxParallelTools: 1 },
    }).catch((caught: unknown) => caught as ToolExecutionAbortedError);
    expect(error).toBeInstanceOf(ToolExecutionAbortedError);
    expect(errorsOf(error.turn!)).toEqual([
      ["c1", "disk full"],
      ["c2", 'not executed: tool "fails" failed first and the error policy is abort'],
    ]);
  });

  it("the inference failed after streaming a call: the error's Turn answers it", async () => {
    const engine = new ScriptedEngine([
      [
        script.toolCall("calculator", { expression: "6*7" }, { id: "c1" }),
        script.error("stream broke", { code: "stream_interrupted", retryable: true }),
      ],
    ]);
    const error = await runToolLoop(input(), RunContext.background(), {
      engine,
      registry: new ToolRegistry([calculatorTool]),
    }).catch((caught: unknown) => caught as GeppettoError);
    expect(GeppettoError.is(error)).toBe(true);
    expect(pendingToolCalls(error.turn!)).toEqual([]);
    expect(errorsOf(error.turn!)).toEqual([
      ["c1", "not executed: the inference failed before this tool ran (stream_interrupted)"],
    ]);
  });
});
