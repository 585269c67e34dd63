import { afterEach, describe, expect, it, vi } from "vitest";
import { ScriptedEngine, script } from "../../testing/scripted-engine.ts";
import type { ChatBackend } from "./backend.ts";
import { ChatController } from "./controller.ts";
import { engineSessionBackend } from "./session-backend.ts";
import { answerSoFar } from "./view-model.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("ChatController", () => {
  it("runs two turns on one conversation; the second inference sees the first answer", async () => {
    const engine = new ScriptedEngine([script.text("One."), script.text("Two.")], { recordInputs: true });
    const controller = new ChatController(engineSessionBackend(engine), { frameMs: 0 });
    await controller.submit("first");
    await controller.submit("second");
    const state = controller.getState();
    expect(state.messages.map((message) => message.kind)).toEqual(["user", "answer", "user", "answer"]);
    expect(state.messages[3]).toMatchObject({
      outcome: "completed",
      parts: [{ kind: "text", text: "Two." }],
    });
    expect(engine.inputs[1]?.blocks.map((block) => block.kind)).toEqual(["user", "llm_text", "user"]);
  });

  it("cancel keeps the partial answer, and the next prompt runs normally", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((settle) => {
      release = settle;
    });
    const engine = new ScriptedEngine(
      [
        [...script.text("Once upon "), { type: "pause", until: gate }, ...script.text("a time.")],
        script.text("Next."),
      ],
      { recordInputs: true },
    );
    const controller = new ChatController(engineSessionBackend(engine), { frameMs: 0 });
    const seen = new Promise<void>((settle) => {
      controller.subscribe(() => {
        const part = answerSoFar(controller.getState())?.parts[0];
        if (part?.kind === "text" && part.text === "Once upon ") settle();
      });
    });
    const answered = controller.submit("Tell me");
    await seen;
    expect(controller.cancel()).toBe(true);
    expect(controller.cancel()).toBe(true);
    await answered;
    release();
    expect(controller.getState().messages[1]).toMatchObject({
      outcome: "interrupted",
      parts: [{ kind: "text", text: "Once upon " }],
    });
    expect(controller.cancel()).toBe(false);
    await controller.submit("go on");
    expect(controller.getState().messages[3]).toMatchObject({
      outcome: "completed",
      parts: [{ text: "Next." }],
    });
    expect(engine.inputs[1]?.blocks.map((block) => block.kind)).toEqual(["user", "llm_text", "user"]);
  });

  it("shows a failing answer with what streamed, and keeps chatting", async () => {
    const engine = new ScriptedEngine([
      [...script.text("Par"), script.error("upstream overloaded", { status: 529 })],
      script.text("Fine now."),
    ]);
    const controller = new ChatController(engineSessionBackend(engine), { frameMs: 0 });
    await controller.submit("x");
    expect(controller.getState().messages[1]).toMatchObject({
      outcome: "error",
      error: "upstream overloaded",
      parts: [{ text: "Par" }],
    });
    await controller.submit("y");
    expect(controller.getState().messages[3]).toMatchObject({ outcome: "completed" });
  });

  it("a backend that refuses to start is shown as a failed answer", async () => {
    const backend: ChatBackend = {
      sessionId: "s",
      turns: () => [],
      start() {
        throw new Error("store is read-only");
      },
      async close() {},
    };
    const controller = new ChatController(backend);
    await controller.submit("x");
    expect(controller.getState()).toMatchObject({
      busy: false,
      messages: [{}, { error: "store is read-only" }],
    });
  });

  it("redraws at most once per frame however fast deltas come, and at once on submit and finish", async () => {
    vi.useFakeTimers();
    let release: () => void = () => {};
    const gate = new Promise<void>((settle) => {
      release = settle;
    });
    const words = "a ".repeat(500);
    const engine = new ScriptedEngine([...script.text(words), { type: "pause", until: gate }]);
    const controller = new ChatController(engineSessionBackend(engine), { frameMs: 33 });
    let redraws = 0;
    controller.subscribe(() => redraws++);
    const answered = controller.submit("go");
    expect(redraws).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(answerSoFar(controller.getState())?.parts[0]).toMatchObject({ text: words });
    expect(redraws).toBe(1);
    await vi.advanceTimersByTimeAsync(33);
    expect(redraws).toBe(2);
    release();
    await answered;
    expect(redraws).toBe(3);
    controller.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ignores blank prompts and prompts sent while an answer runs", async () => {
    const engine = new ScriptedEngine(script.text("ok"), { repeatLast: true });
    const controller = new ChatController(engineSessionBackend(engine), { frameMs: 0 });
    await controller.submit("   ");
    const first = controller.submit("one");
    await controller.submit("two");
    await first;
    expect(engine.calls).toBe(1);
    expect(controller.getState().messages).toHaveLength(2);
  });
});
