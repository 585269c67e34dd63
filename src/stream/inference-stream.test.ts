import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import { CollectingSink, RunContext, sinkFrom } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { createOpenAIChatEngine } from "../providers/openai/index.ts";
import { serverOptions, setupLocalServer } from "../providers/test-support.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { assistantText, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { streamInference } from "./inference-stream.ts";

const server = setupLocalServer();
const input = newTurn([newUserTextBlock("hi")]);
const openai = () =>
  createOpenAIChatEngine({ model: "gpt-4o-mini", apiKey: "test", ...serverOptions(server, "openai-chat") });

/** Resolves once `condition` holds, checked on every event the sink sees. */
function eventCondition(): { sink: CollectingSink; when(condition: () => boolean): Promise<void> } {
  const waiting: { condition: () => boolean; resolve: () => void }[] = [];
  const sink = new CollectingSink();
  const publish = sink.publish.bind(sink);
  sink.publish = (event: GeppettoEvent) => {
    publish(event);
    for (const entry of [...waiting]) {
      if (entry.condition()) {
        waiting.splice(waiting.indexOf(entry), 1);
        entry.resolve();
      }
    }
  };
  return {
    sink,
    when: (condition) =>
      condition() ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ condition, resolve })),
  };
}

describe("streamInference", () => {
  it("yields every event in order, the text view yields the deltas, and result settles like runInference", async () => {
    server.respond({ script: { text: "Bonjour à tous, ça va ?" } });
    const own = new CollectingSink();
    const stream = streamInference(openai(), input, RunContext.background().withSinks(own));
    const events: GeppettoEvent[] = [];
    for await (const event of stream) events.push(event);
    const { turn, result } = await stream.result;
    expect(events.map((event) => event.type)).toEqual(own.events.map((event) => event.type));
    expect(events[0]?.type).toBe("start");
    expect(events.at(-1)?.type).toBe("final");
    expect(events.map((event) => event.meta.seq)).toEqual(events.map((_, index) => index + 1));
    expect(assistantText(turn)).toBe("Bonjour à tous, ça va ?");
    expect(result.finishClass).toBe("completed");

    server.respond({ script: { text: "Bonjour à tous, ça va ?" } });
    const texts: string[] = [];
    for await (const text of streamInference(openai(), input).text()) texts.push(text);
    expect(texts.join("")).toBe("Bonjour à tous, ça va ?");
    expect(texts.length).toBeGreaterThan(1);
  });

  it("is iterable once", async () => {
    const stream = streamInference(new ScriptedEngine([script.text("a b")]), input);
    const iterator = stream[Symbol.asyncIterator]();
    expect(() => stream.text()).toThrow(/only once/);
    while (!(await iterator.next()).done) {
      // drain
    }
    await expect(stream.result).resolves.toBeDefined();
  });

  it("breaking out of the loop cancels the inference and result resolves with the partial Turn", async () => {
    server.respond({ script: { text: "one two three four five six seven eight" }, pacingMs: 5 });
    const own = new CollectingSink();
    const stream = streamInference(openai(), input, RunContext.background().withSinks(own));
    for await (const event of stream) if (event.type === "partial") break;
    const { turn, result } = await stream.result;
    expect(result.finishClass).toBe("interrupted");
    expect(assistantText(turn).length).toBeGreaterThan(0);
    expect(own.events.at(-1)?.type).toBe("interrupt");
  });

  it("cancel() ends the loop after the interrupt event", async () => {
    server.respond({ script: { text: "one two three four five six seven eight" }, pacingMs: 5 });
    const stream = streamInference(openai(), input);
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "partial") stream.cancel("enough");
    }
    expect(types.at(-1)).toBe("interrupt");
    expect((await stream.result).result.finishClass).toBe("interrupted");
  });

  it("a failure ends the loop by throwing after the error event; result rejects with the partial Turn", async () => {
    const engine = new ScriptedEngine([
      [...script.text("partial answer"), script.error("boom", { code: "stream_error" })],
    ]);
    const stream = streamInference(engine, input);
    const types: string[] = [];
    let thrown: unknown;
    try {
      for await (const event of stream) types.push(event.type);
    } catch (error) {
      thrown = error;
    }
    expect(types.at(-1)).toBe("error");
    expect(GeppettoError.is(thrown)).toBe(true);
    const rejection = await stream.result.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(rejection).toBe(thrown);
    expect(assistantText((rejection as GeppettoError).turn!)).toBe("partial answer");
  });

  it("keeps the events published before the loop starts", async () => {
    const stream = streamInference(new ScriptedEngine([script.text("early words here")]), input);
    await stream.result;
    let text = "";
    for await (const piece of stream.text()) text += piece;
    expect(text).toBe("early words here");
  });

  it("holds the HTTP body back while the reader is behind: a 10 MB answer read slowly stays bounded", async () => {
    const token = "Ünïcödé tokens — 日本語のテキスト, ".repeat(6);
    const count = Math.ceil((10 * 1024 * 1024) / Buffer.byteLength(token));
    server.respond({ script: { tokens: Array.from({ length: count }, () => token) } });
    const capacity = 64;
    const watch = eventCondition();
    const stream = streamInference(openai(), input, RunContext.background().withSinks(watch.sink), {
      capacity,
    });
    const iterator = stream[Symbol.asyncIterator]();
    let read = 0;
    const behind = () => watch.sink.events.length - read;
    // The reader takes one event, then stops pulling: the queue fills and the transport stops reading.
    await iterator.next();
    read++;
    await watch.when(() => behind() >= capacity);
    const heldAt = watch.sink.events.length;
    // Let the network and both event loops run a whole other request meanwhile: nothing more is read.
    server.respond({ script: { text: "meanwhile" } });
    expect(assistantText(await openai().runInference(input, RunContext.background()))).toBe("meanwhile");
    expect(watch.sink.events.length).toBe(heldAt);
    // A slow reader (a macrotask every 50 events) gets everything, and the queue never grows past the bound:
    // the capacity plus what one body chunk (at most 64 KiB, over 400 bytes per event) holds.
    let maxBehind = 0;
    let text = "";
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      read++;
      maxBehind = Math.max(maxBehind, behind());
      if (next.value.type === "partial") text += next.value.delta;
      if (read % 50 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const { turn } = await stream.result;
    expect(watch.sink.events.length).toBe(read);
    expect(text.length).toBe(token.length * count);
    expect(assistantText(turn).length).toBe(token.length * count);
    expect(maxBehind).toBeLessThanOrEqual(capacity + 160);
  });

  it("cancelling while the transport waits on a reader that is behind ends the request at once", async () => {
    const token = "Ünïcödé tokens — 日本語のテキスト, ".repeat(6);
    server.respond({ script: { tokens: Array.from({ length: 20_000 }, () => token) } });
    const capacity = 16;
    const watch = eventCondition();
    const stream = streamInference(openai(), input, RunContext.background().withSinks(watch.sink), {
      capacity,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await watch.when(() => watch.sink.events.length > capacity);
    stream.cancel("stop");
    const { turn, result } = await stream.result;
    expect(result.finishClass).toBe("interrupted");
    expect(assistantText(turn).length).toBeLessThan(token.length * 20_000);
  });

  it("records the inference result on the Turn", async () => {
    server.respond({ script: { text: "ok", usage: { inputTokens: 3, outputTokens: 1 } } });
    const { turn, result } = await streamInference(openai(), input).result;
    expect(KeyInferenceResult.get(turn)).toEqual(result);
  });

  it("the context's signal still cancels", async () => {
    server.respond({ script: { text: "one two three four five six" }, pacingMs: 5 });
    const controller = new AbortController();
    const ctx = RunContext.background()
      .withSignal(controller.signal)
      .withSinks(sinkFrom((event) => (event.type === "partial" ? controller.abort() : undefined)));
    const { result } = await streamInference(openai(), input, ctx).result;
    expect(result.finishClass).toBe("interrupted");
  });
});
