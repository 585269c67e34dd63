import { describe, expect, it } from "vitest";
import { CollectingSink, publish, RunContext } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { ScriptedEngine, type ScriptStep, script } from "../testing/scripted-engine.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { applyFrame, type Entity, type Frame } from "./frames.ts";
import { defaultTranslations, type TranslationContext } from "./translation.ts";

/** Folds frames into entities the way the timeline and the browser do. */
function project(events: GeppettoEvent[], translations = defaultTranslations()): Map<string, Entity> {
  const entities = new Map<string, Entity>();
  const context: TranslationContext = { entity: (id) => entities.get(id), cost: () => 0.5 };
  let seq = 0;
  for (const event of events) {
    for (const draft of translations.translate(event, context)) {
      const frame: Frame = { ...draft, seq: ++seq, convId: "c" };
      entities.set(frame.id, applyFrame(entities.get(frame.id), frame));
    }
  }
  return entities;
}

async function eventsOf(steps: ScriptStep[]): Promise<GeppettoEvent[]> {
  const sink = new CollectingSink();
  await new ScriptedEngine(steps).runInference(
    newTurn([newUserTextBlock("Hi")]),
    RunContext.background().withSinks(sink),
  );
  return sink.events;
}

describe("the default translations", () => {
  it("address an answer's start, deltas and final, and its reasoning, with stable ids", async () => {
    const events = await eventsOf([
      ...script.reasoning("Thinking"),
      ...script.text("Hello there"),
      script.usage({ inputTokens: 3, outputTokens: 2 }),
      script.stop("stop"),
    ]);
    const entities = [...project(events).values()];
    const messageId = events[0]!.meta.id;
    expect(entities.map((entity) => [entity.id, entity.kind, entity.status, entity.text])).toEqual([
      [`msg:${messageId}`, "assistant", "done", "Hello there"],
      [`reasoning:${messageId}`, "reasoning", "done", "Thinking"],
    ]);
    expect(entities[0]!.data).toMatchObject({ usage: { inputTokens: 3, outputTokens: 2 }, cost: 0.5 });
  });

  it("mark a cancelled answer, keeping its partial text", async () => {
    const controller = new AbortController();
    const sink = new CollectingSink();
    const ctx = RunContext.background()
      .withSignal(controller.signal)
      .withSinks(sink, { publish: (event) => (event.type === "partial" ? controller.abort() : undefined) });
    await new ScriptedEngine([...script.text("one two three"), script.stop("stop")]).runInference(
      newTurn([newUserTextBlock("Hi")]),
      ctx,
    );
    const [answer] = [...project(sink.events).values()];
    expect(answer).toMatchObject({ kind: "assistant", status: "cancelled", text: "one " });
  });

  it("let an application translate its own custom events", () => {
    const ctx = RunContext.background();
    const sink = new CollectingSink();
    const event: GeppettoEvent = {
      type: "custom",
      name: "myapp.progress",
      payload: 40,
      meta: { id: "job-1", seq: 0 },
    };
    publish(ctx.withSinks(sink), event);
    const translations = defaultTranslations().onCustom("myapp.progress", (custom) => [
      {
        type: "myapp.progress",
        id: `progress:${custom.meta.id}`,
        kind: "progress",
        data: { percent: custom.payload as number },
      },
    ]);
    expect([...project(sink.events, translations).values()]).toEqual([
      {
        id: "progress:job-1",
        kind: "progress",
        order: 1,
        version: 1,
        status: "streaming",
        text: "",
        data: { percent: 40 },
      },
    ]);
    expect(project(sink.events).size).toBe(0);
  });
});
