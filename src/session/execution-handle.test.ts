import { describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { calculatorTool } from "../tools/demo.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { assistantText } from "../turns/builders.ts";
import { EngineBuilder } from "./engine-builder.ts";
import { Session } from "./session.ts";

function toolSession(sinks: CollectingSink[] = []): Session {
  const engine = new ScriptedEngine([
    [script.toolCall("calculator", { expression: "6*7" }), script.stop("tool_calls")],
    script.text("The answer is 42."),
    script.text("Still 42."),
  ]);
  const builder = new EngineBuilder()
    .withBase(engine)
    .withSinks(...sinks)
    .withToolRegistry(new ToolRegistry([calculatorTool]));
  const session = new Session({ runner: builder });
  session.appendNewTurnFromUserPrompt("What is 6 * 7?");
  return session;
}

describe("ExecutionHandle as an InferenceStream", () => {
  it("carries the events of every tool-loop step in order, the same the builder's sinks get", async () => {
    const builderSink = new CollectingSink();
    const handle = toolSession([builderSink]).startInference();
    const events: GeppettoEvent[] = [];
    for await (const event of handle) events.push(event);
    const types = events.map((event) => event.type);
    expect(types).toEqual(builderSink.events.map((event) => event.type));
    const order = ["tool-call", "tool-call-execute", "tool-call-execution-result", "tool-result", "partial"];
    const positions = order.map((type) => types.indexOf(type as GeppettoEvent["type"]));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(types.filter((type) => type === "start")).toHaveLength(2);
    const { turn, result, loop } = await handle.result;
    expect(assistantText(turn)).toBe("The answer is 42.");
    expect(result.finishClass).toBe("completed");
    expect(loop.status).toBe("completed");
  });

  it("gives per-call sinks the events of that call only, and a per-call context's sinks too", async () => {
    const session = toolSession();
    const first = new CollectingSink();
    await session.startInference({ sinks: [first] }).wait();
    expect(first.events.length).toBeGreaterThan(0);
    expect(first.events.every((event) => event.meta.sessionId === session.id)).toBe(true);
    session.appendNewTurnFromUserPrompt("again");
    const contextSink = new CollectingSink();
    const second = new CollectingSink();
    const handle = session.startInference({
      sinks: [second],
      context: RunContext.background().withSinks(contextSink),
    });
    await handle.wait();
    const inferenceIds = new Set(second.events.map((event) => event.meta.inferenceId));
    expect([...inferenceIds]).toEqual([handle.inferenceId]);
    expect(contextSink.events.length).toBe(second.events.length);
    expect(first.events.some((event) => event.meta.inferenceId === handle.inferenceId)).toBe(false);
  });

  it("streams its text view, and breaking out cancels with the partial Turn kept", async () => {
    const engine = new ScriptedEngine([script.text("one two three four five six")]);
    const session = new Session({ runner: new EngineBuilder().withBase(engine) });
    session.appendNewTurnFromUserPrompt("count");
    const handle = session.startInference();
    const pieces: string[] = [];
    for await (const piece of handle.text()) {
      pieces.push(piece);
      if (pieces.length === 2) break;
    }
    const turn = await handle.wait();
    expect(handle.cancelled).toBe(true);
    expect(assistantText(turn).startsWith(pieces.join(""))).toBe(true);
    expect(session.latest()).toBe(turn);
  });

  it("wait() alone keeps no events; iterating afterwards says why it cannot", async () => {
    const session = toolSession();
    const handle = session.startInference();
    await handle.wait();
    expect(() => handle[Symbol.asyncIterator]()).toThrow(/before calling wait/);
  });
});
