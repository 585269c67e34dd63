import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../engine/engine.ts";
import { CollectingSink, RunContext, sinkFrom } from "../events/context.ts";
import { systemPromptMiddleware } from "../middleware/system-prompt.ts";
import { ScriptedEngine, type ScriptStep, script } from "../testing/scripted-engine.ts";
import { toolUsingAnswer } from "../testing/tool-responder.ts";
import { KeyToolLoopOutcome } from "../toolloop/loop.ts";
import { demoToolRegistry } from "../tools/demo.ts";
import { assistantText } from "../turns/builders.ts";
import { KeyTurnMetaInferenceId, KeyTurnMetaSessionId } from "../turns/keys.ts";
import { EngineBuilder } from "./engine-builder.ts";
import { Session, SessionBusyError } from "./session.ts";
import { MemoryTurnStore } from "./turn-store.ts";

function gate() {
  let open!: () => void;
  const until = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { until, open };
}

const pausedAnswer = (until: Promise<unknown>, text = "partial answer"): ScriptStep[] => [
  ...script.text(text),
  { type: "pause", until },
  ...script.text(" and the rest."),
];

describe("Session", () => {
  it("writes each distinct snapshot once: the Turn after tools is not saved again before the next inference", async () => {
    const saved: { turn: unknown; phase: string }[] = [];
    const phases: string[] = [];
    const builder = new EngineBuilder()
      .withBase(new ScriptedEngine(toolUsingAnswer, { repeatLast: true }))
      .withToolRegistry(demoToolRegistry())
      .withSnapshotHook((_turn, phase) => void phases.push(phase))
      .withPersister({
        async save(_sessionId: string, turn: unknown, phase: string) {
          saved.push({ turn, phase });
        },
      } as unknown as MemoryTurnStore);
    const session = new Session({ id: "s-saves", runner: builder });
    session.appendNewTurnFromUserPrompt("What is 6 * 7?");
    await session.startInference().wait();
    // every phase reaches the hook; the store gets only Turns it has not just written
    expect(phases).toEqual([
      "pre_inference",
      "post_inference",
      "post_tools",
      "pre_inference",
      "post_inference",
      "final",
    ]);
    // the final Turn is new (the loop writes its outcome on it), so it is saved
    expect(saved.map((entry) => entry.phase)).toEqual([
      "pre_inference",
      "post_inference",
      "post_tools",
      "post_inference",
      "final",
    ]);
    expect(new Set(saved.map((entry) => entry.turn)).size).toBe(saved.length);
  });

  it("runs a two-turn conversation with tools, stamping ids on turns and events", async () => {
    const sink = new CollectingSink();
    const store = new MemoryTurnStore();
    const engine = new ScriptedEngine(toolUsingAnswer, { repeatLast: true, recordInputs: true });
    const builder = new EngineBuilder()
      .withBase(engine)
      .withMiddlewares(systemPromptMiddleware("You help {{user}}."))
      .withSinks(sink)
      .withToolRegistry(demoToolRegistry())
      .withPersister(store);
    const session = new Session({ id: "s1", runner: builder, data: { user: "Ada" } });

    session.appendNewTurnFromUserPrompt("What is 6 * 7?");
    const first = session.startInference();
    const turn1 = await first.wait();
    expect(assistantText(turn1)).toBe("6 * 7 = 42.");
    expect(KeyTurnMetaSessionId.get(turn1)).toBe("s1");
    expect(KeyTurnMetaInferenceId.get(turn1)).toBe(first.inferenceId);
    expect(KeyToolLoopOutcome.get(turn1)).toEqual({ status: "completed", iterations: 2 });

    const second = session.appendNewTurnFromUserPrompt("And what time is it?");
    expect(second.id).not.toBe(turn1.id);
    const turn2 = await session.startInference().wait();
    expect(turn2.id).toBe(second.id);
    expect(turn2.blocks.map((block) => block.kind)).toEqual([
      "system",
      "user",
      "tool_call",
      "tool_use",
      "llm_text",
      "user",
      "tool_call",
      "tool_use",
      "llm_text",
    ]);
    expect(assistantText(turn2)).toMatch(/It is .* \(\d{4}-\d\d-\d\dT/);
    expect(engine.inputs[0]!.blocks[0]).toMatchObject({ kind: "system", payload: { text: "You help Ada." } });
    expect(session.turns).toHaveLength(2);

    expect(sink.events.length).toBeGreaterThan(10);
    for (const event of sink.events) {
      expect(event.meta.sessionId).toBe("s1");
      expect(event.meta.inferenceId).toBeDefined();
      expect(event.meta.turnId).toBeDefined();
    }
    const saved = await store.listTurns("s1");
    expect(saved.map((info) => [info.turnId, info.phase])).toEqual([
      [turn1.id, "final"],
      [turn2.id, "final"],
    ]);
    expect(await store.load("s1", turn2.id)).toEqual(turn2);
  });

  it("rejects a second inference while one runs (busy policy reject, the default)", async () => {
    const { until, open } = gate();
    const session = new Session({
      runner: new EngineBuilder().withBase(new ScriptedEngine([pausedAnswer(until)])),
    });
    session.appendNewTurnFromUserPrompt("hi");
    const handle = session.startInference();
    expect(session.isRunning()).toBe(true);
    expect(() => session.startInference()).toThrow(SessionBusyError);
    open();
    await handle.wait();
    expect(session.isRunning()).toBe(false);
    expect(handle.running).toBe(false);
  });

  it("queues under busy policy queue, rebasing a prompt appended while running", async () => {
    const { until, open } = gate();
    const engine = new ScriptedEngine([pausedAnswer(until, "first"), script.text("second")]);
    const session = new Session({ runner: new EngineBuilder().withBase(engine), busyPolicy: "queue" });
    session.appendNewTurnFromUserPrompt("one");
    const first = session.startInference();
    session.appendNewTurnFromUserPrompt("two");
    const second = session.startInference();
    await new Promise((resolve) => setImmediate(resolve));
    expect(engine.calls).toBe(1);
    open();
    const [turn1, turn2] = await Promise.all([first.wait(), second.wait()]);
    expect(assistantText(turn1)).toBe("first and the rest.");
    expect(turn2.blocks.map((block) => (block.payload as { text?: string }).text)).toEqual([
      "one",
      "first and the rest.",
      "two",
      "second",
    ]);
    expect(second.input.id).toBe(turn2.id);
  });

  it("interrupts the active inference under busy policy interrupt", async () => {
    const { until } = gate();
    const engine = new ScriptedEngine([pausedAnswer(until, "cut"), script.text("fresh")]);
    let started!: () => void;
    const streaming = new Promise<void>((resolve) => {
      started = resolve;
    });
    const sink = sinkFrom((event) => {
      if (event.type === "partial") started();
    });
    const session = new Session({
      runner: new EngineBuilder().withBase(engine).withSinks(sink),
      busyPolicy: "interrupt",
    });
    session.appendNewTurnFromUserPrompt("one");
    const first = session.startInference();
    await streaming; // the first answer is under way (the tool loop is loaded on the first run)
    const second = session.startInference();
    const [turn1, turn2] = await Promise.all([first.wait(), second.wait()]);
    expect(KeyInferenceResult.get(turn1)?.finishClass).toBe("interrupted");
    expect(assistantText(turn2)).toContain("fresh");
  });

  it("cancel keeps the partial answer, wait resolves, cancelling twice is harmless, the next prompt runs", async () => {
    const { until } = gate();
    const sink = new CollectingSink();
    const engine = new ScriptedEngine([pausedAnswer(until, "half"), script.text("whole")]);
    const session = new Session({ runner: new EngineBuilder().withBase(engine).withSinks(sink) });
    session.appendNewTurnFromUserPrompt("one");
    const handle = session.startInference();
    await new Promise((resolve) => setImmediate(resolve));
    handle.cancel();
    handle.cancel();
    const partial = await handle.wait();
    handle.cancel();
    expect(assistantText(partial)).toBe("half");
    expect(KeyInferenceResult.get(partial)?.finishClass).toBe("interrupted");
    expect(sink.ofType("interrupt")).toHaveLength(1);
    expect(session.cancelActive()).toBe(false);
    session.appendNewTurnFromUserPrompt("two");
    const next = await session.startInference().wait();
    expect(assistantText(next)).toBe("halfwhole");
  });

  it("honours the caller's signal", async () => {
    const { until } = gate();
    const controller = new AbortController();
    const session = new Session({
      runner: new EngineBuilder().withBase(new ScriptedEngine([pausedAnswer(until)])),
    });
    session.appendNewTurnFromUserPrompt("one");
    const handle = session.startInference({ signal: controller.signal });
    controller.abort();
    expect(KeyInferenceResult.get(await handle.wait())?.finishClass).toBe("interrupted");
  });

  it("keeps a failed inference's partial Turn in the history and rejects wait()", async () => {
    const engine = new ScriptedEngine([
      [...script.text("so far"), script.error("upstream died", { status: 502 })],
    ]);
    const session = new Session({
      runner: new EngineBuilder().withBase(engine),
      context: RunContext.background(),
    });
    session.appendNewTurnFromUserPrompt("one");
    await expect(session.startInference().wait()).rejects.toThrow("upstream died");
    expect(assistantText(session.latest()!)).toBe("so far");
  });
});
