import { describe, expect, it } from "vitest";
import { KeyInferenceResult, runInferenceWithResult } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import { CollectingSink, RunContext } from "../events/context.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import { createEmbeddedDefaultEngine } from "./embedded-default.ts";
import { ScriptedEngine, script } from "./scripted-engine.ts";

function setup() {
  const sink = new CollectingSink();
  const ctx = RunContext.background().withSinks(sink).withIds({ sessionId: "s", inferenceId: "i" });
  const turn = newTurn([newUserTextBlock("Hi")]);
  return { sink, ctx, turn };
}

describe("ScriptedEngine", () => {
  it("streams text with the events a real engine emits, in order, with ids and increasing seq", async () => {
    const { sink, ctx, turn } = setup();
    const engine = new ScriptedEngine([
      ...script.text("Hello there friend"),
      script.usage({ inputTokens: 3, outputTokens: 3 }),
      script.stop("stop"),
    ]);
    const out = await engine.runInference(turn, ctx);
    expect(sink.events.map((event) => event.type)).toEqual([
      "start",
      "partial",
      "partial",
      "partial",
      "final",
    ]);
    const seqs = sink.events.map((event) => event.meta.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const partials = sink.ofType("partial");
    expect(partials.map((event) => event.completion)).toEqual([
      "Hello ",
      "Hello there ",
      "Hello there friend",
    ]);
    expect(new Set(sink.events.map((event) => event.meta.id)).size).toBe(1);
    for (const event of sink.events)
      expect(event.meta).toMatchObject({ sessionId: "s", inferenceId: "i", turnId: turn.id });
    expect(partials[0]?.meta.blockId).toBe(out.blocks[1]?.id);
    expect(sink.ofType("final")[0]?.text).toBe("Hello there friend");
    expect(sink.ofType("final")[0]?.meta.usage).toEqual({ inputTokens: 3, outputTokens: 3 });
    expect(out.blocks.map((block) => block.kind)).toEqual(["user", "llm_text"]);
    expect(KeyInferenceResult.get(out)).toMatchObject({
      provider: "scripted",
      stopReason: "stop",
      finishClass: "completed",
      truncated: false,
      usage: { inputTokens: 3, outputTokens: 3 },
    });
  });

  it("never mutates its input turn", async () => {
    const { ctx, turn } = setup();
    const before = structuredClone(turn);
    await new ScriptedEngine(script.text("ok")).runInference(turn, ctx);
    expect(turn).toEqual(before);
  });

  it("streams tool-call arguments as deltas, then a complete tool-call", async () => {
    const { sink, ctx, turn } = setup();
    const engine = new ScriptedEngine([
      script.toolCall("get_weather", { city: "Paris" }, { id: "call_1", chunks: 4 }),
      script.stop("tool_calls"),
    ]);
    const out = await engine.runInference(turn, ctx);
    const deltas = sink.ofType("tool-call-arguments-delta");
    expect(deltas).toHaveLength(4);
    expect(deltas.map((event) => event.delta).join("")).toBe('{"city":"Paris"}');
    expect(sink.ofType("tool-call")[0]?.toolCall).toEqual({
      id: "call_1",
      name: "get_weather",
      input: { city: "Paris" },
    });
    expect(out.blocks[1]).toMatchObject({
      kind: "tool_call",
      payload: { id: "call_1", name: "get_weather", args: { city: "Paris" } },
    });
    expect(KeyInferenceResult.get(out)?.finishClass).toBe("tool_calls_pending");
  });

  it("keeps reasoning with its signature", async () => {
    const { sink, ctx, turn } = setup();
    const out = await new ScriptedEngine([
      ...script.reasoning("Think hard", "sig=="),
      ...script.text("Done"),
    ]).runInference(turn, ctx);
    expect(sink.ofType("partial-thinking").map((event) => event.completion)).toEqual([
      "Think ",
      "Think hard",
    ]);
    expect(out.blocks[1]).toMatchObject({
      kind: "reasoning",
      payload: { text: "Think hard", signature: "sig==" },
    });
    expect(out.blocks[2]).toMatchObject({ kind: "llm_text", payload: { text: "Done" } });
  });

  it("on cancellation publishes interrupt and resolves with the partial answer kept", async () => {
    const { sink, ctx, turn } = setup();
    const controller = new AbortController();
    let reachedPause!: () => void;
    const paused = new Promise<void>((resolve) => {
      reachedPause = resolve;
    });
    const engine = new ScriptedEngine(() => [
      ...script.text("Partial answer"),
      { type: "pause", until: new Promise(() => reachedPause()) },
      ...script.text(" never sent"),
    ]);
    const running = engine.runInference(turn, ctx.withSignal(controller.signal));
    await paused;
    controller.abort();
    const out = await running;
    expect(sink.events.map((event) => event.type).at(-1)).toBe("interrupt");
    expect(sink.ofType("interrupt")[0]?.text).toBe("Partial answer");
    expect(out.blocks[1]).toMatchObject({ kind: "llm_text", payload: { text: "Partial answer" } });
    expect(KeyInferenceResult.get(out)).toMatchObject({ finishClass: "interrupted", truncated: true });
  });

  it("on error publishes an error event and throws with the partial Turn attached", async () => {
    const { sink, ctx, turn } = setup();
    const engine = new ScriptedEngine([
      ...script.text("Half"),
      script.error("overloaded", { code: "provider_unavailable", status: 529, retryable: true }),
    ]);
    const failure = await engine.runInference(turn, ctx).catch((error: unknown) => error);
    expect(GeppettoError.is(failure)).toBe(true);
    const error = failure as GeppettoError;
    expect(error).toMatchObject({ code: "provider_unavailable", fault: "provider", retryable: true });
    expect(sink.ofType("error")[0]).toMatchObject({
      message: "overloaded",
      status: 529,
      text: "Half",
      retryable: true,
    });
    expect(error.turn?.blocks[1]).toMatchObject({ kind: "llm_text", payload: { text: "Half" } });
    expect(KeyInferenceResult.get(error.turn as Turn)).toMatchObject({
      finishClass: "error",
      error: "overloaded",
    });
  });

  it("replays one response per call and says when the script is exhausted", async () => {
    const { ctx, turn } = setup();
    const engine = new ScriptedEngine([script.text("one"), script.text("two")], { recordInputs: 2 });
    await engine.runInference(turn, ctx);
    await engine.runInference(turn, ctx);
    await expect(engine.runInference(turn, ctx)).rejects.toThrow(
      /script exhausted \(call 3, 2 response\(s\)\)/,
    );
    expect(engine.calls).toBe(3);
    expect(engine.inputs).toHaveLength(2); // recordInputs: 2 keeps the last two
  });

  it("maps stop reasons to finish classes", async () => {
    const { ctx, turn } = setup();
    const { result } = await runInferenceWithResult(
      new ScriptedEngine([...script.text("cut"), script.stop("length")]),
      turn,
      ctx,
    );
    expect(result).toMatchObject({ finishClass: "max_tokens", truncated: true, stopReason: "length" });
  });
});

describe("runInferenceWithResult", () => {
  it("synthesizes a result for engines that record none", async () => {
    const bare = { runInference: async (turn: Turn) => turn };
    const { turn, result } = await runInferenceWithResult(bare, newTurn(), RunContext.background());
    expect(result).toEqual({ provider: "unknown", finishClass: "completed", truncated: false });
    expect(KeyInferenceResult.get(turn)).toEqual(result);
  });
});

describe("embedded default", () => {
  it("answers any prompt with no network", async () => {
    const { sink, ctx, turn } = setup();
    const out = await createEmbeddedDefaultEngine().runInference(turn, ctx);
    expect(sink.ofType("final")[0]?.text).toContain('You said: "Hi"');
    expect(KeyInferenceResult.get(out)?.provider).toBe("embedded");
    // it keeps answering: a chat can go on
    const again = await createEmbeddedDefaultEngine().runInference(out, ctx);
    expect(again.blocks.filter((block) => block.kind === "llm_text")).toHaveLength(2);
  });
});

describe("ScriptedEngine back-pressure", () => {
  it("waits for a slow streamInference reader: it runs at most the queue's capacity ahead", async () => {
    const { streamInference } = await import("../stream/inference-stream.ts");
    const published = new CollectingSink();
    const words = Array.from({ length: 200 }, (_, index) => `w${index} `).join("");
    const stream = streamInference(
      new ScriptedEngine([script.text(words)]),
      newTurn([newUserTextBlock("Hi")]),
      RunContext.background().withSinks(published),
      { capacity: 8 },
    );
    let read = 0;
    let furthestAhead = 0;
    let text = "";
    for await (const event of stream) {
      read++;
      if (event.type === "partial") text += event.delta;
      furthestAhead = Math.max(furthestAhead, published.events.length - read);
      // Give the engine every chance to run ahead before the next read.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(text).toBe(words);
    expect(furthestAhead).toBeLessThanOrEqual(8);
    expect((await stream.result).result.finishClass).toBe("completed");
  });
});
