import { describe, expect, it } from "vitest";
import { CollectingSink } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { run, TAG_V1, textEvents } from "./__fixtures__/harness.ts";
import { type Extractor, StructuredBlockMalformed } from "./extractor.ts";
import { FilteringSink } from "./filtering-sink.ts";

const BLOCK = "<x:y:v1>title: A</x:y:v1>";

describe("FilteringSink", () => {
  it("removes a block from the forwarded text and hands its payload to the extractor", () => {
    const result = run(["Before ", BLOCK, " after."]);
    expect(result.text).toBe("Before  after.");
    expect(result.deltas).toBe("Before  after.");
    expect(result.lastCompletion).toBe("Before  after.");
    expect(result.records).toEqual([
      {
        tag: "x:y:v1",
        itemId: "stream-1:1",
        raw: "title: A",
        completed: { raw: "title: A", ok: true },
      },
    ]);
  });

  it("handles tags split one character at a time", () => {
    const text = `a<x:y:v1>pay<load</x:y:v1>b`;
    const result = run([...text]);
    expect(result.text).toBe("ab");
    expect(result.records[0]?.completed).toEqual({ raw: "pay<load", ok: true });
    // The close tag never leaks into onRaw.
    expect(result.records[0]?.raw).toBe("pay<load");
  });

  it("keeps delta, completion and final text consistent, partial by partial", () => {
    const result = run(["He", "llo <x:y", ":v1>zz</x:", "y:v1> wor", "ld"]);
    let completion = "";
    for (const event of result.events) {
      if (event.type !== "partial") continue;
      completion += event.delta;
      expect(event.completion).toBe(completion);
    }
    expect(result.text).toBe(completion);
    expect(result.text).toBe("Hello  world");
  });

  it("forwards text before a block before the extractor's events, and text after it after them", () => {
    const Seen = { name: "test.seen" };
    const extractor: Extractor = {
      ...TAG_V1,
      newSession: () => ({
        onCompleted: (raw) => [
          { type: "custom", name: Seen.name, payload: raw, meta: { id: "", seq: 0 } } as GeppettoEvent,
        ],
      }),
    };
    const collector = new CollectingSink();
    const sink = new FilteringSink(collector, {}, extractor);
    for (const event of textEvents([`one ${BLOCK} two`])) sink.publish(event);
    const shape = collector.events.map((event) =>
      event.type === "partial" ? `partial:${event.delta}` : event.type,
    );
    expect(shape).toEqual(["start", "partial:one ", "custom", "partial: two", "final"]);
    const custom = collector.events[2]!;
    expect(custom.meta.id).toBe("stream-1");
    expect(custom.meta.seq).toBe(1);
  });

  it("passes through text that only looks like a tag, and tags with no extractor", () => {
    const text = "a < b, <x:y>, <x:y:v1 >, <x:y:v1:z>, <p:q:r>kept</p:q:r>, </x:y:v1>, <<x:y:v3>";
    expect(run([text]).text).toBe(text);
    expect(run([...text]).text).toBe(text);
    expect(run([text]).records).toEqual([]);
  });

  it("treats an over-long open tag as text (maxTagLength)", () => {
    const long = `<x:y:v1${"1".repeat(300)}>`;
    expect(run([long]).text).toBe(long);
    expect(run(["<x:y:v1>p</x:y:v1>"], { maxTagLength: 7 }).text).toBe("<x:y:v1>p</x:y:v1>");
  });

  it("keeps interleaved streams apart", () => {
    const collector = new CollectingSink();
    const sink = new FilteringSink(collector, {});
    const first = textEvents(["a<x:y:", "v1>A</x:y:v1>b"], { id: "one" });
    const second = textEvents(["c<x:y:v1>", "C</x:y:v1>d"], { id: "two" });
    for (let index = 0; index < first.length; index++) {
      sink.publish(first[index]!);
      sink.publish(second[index]!);
    }
    // No extractor registered: everything passes through, each stream intact.
    const finals = collector.ofType("final").map((event) => [event.meta.id, event.text]);
    expect(finals).toEqual([
      ["one", "a<x:y:v1>A</x:y:v1>b"],
      ["two", "c<x:y:v1>C</x:y:v1>d"],
    ]);
    expect(sink.openStreams).toBe(0);
  });

  it("passes other events through untouched and filters a final that was never streamed", () => {
    const collector = new CollectingSink();
    const sink = new FilteringSink(collector, {}, { ...TAG_V1, newSession: () => ({}) });
    const thinking: GeppettoEvent = {
      type: "partial-thinking",
      delta: BLOCK,
      completion: BLOCK,
      meta: { id: "s", seq: 1 },
    };
    sink.publish(thinking);
    sink.publish({ type: "final", text: `x${BLOCK}y`, meta: { id: "s", seq: 2 } });
    expect(collector.events[0]).toBe(thinking);
    expect(collector.events.map((event) => event.type)).toEqual(["partial-thinking", "final"]);
    expect(collector.ofType("final")[0]?.text).toBe("xy");
  });

  it("filters interrupt and error texts the same way", () => {
    const interrupted = run(["a", BLOCK, "b"], {}, "interrupt");
    expect(interrupted.events.at(-1)).toMatchObject({ type: "interrupt", text: "ab" });
    const failed = run(["a", BLOCK, "b"], {}, "error");
    expect(failed.events.at(-1)).toMatchObject({ type: "error", message: "boom", text: "ab" });
  });

  it("emits the held-back text as a last partial before the final", () => {
    const result = run(["a <x:y"]);
    expect(result.deltas).toBe("a <x:y");
    expect(result.text).toBe("a <x:y");
  });

  it("reports an extractor that throws and keeps going", () => {
    const collector = new CollectingSink();
    const broken: Extractor = {
      ...TAG_V1,
      newSession: () => ({
        onRaw: () => {
          throw new Error("bad extractor");
        },
      }),
    };
    const sink = new FilteringSink(collector, { malformed: "ignore" }, broken);
    for (const event of textEvents(["a", "<x:y:v1>p", "q</x:y:v1>", "b"])) sink.publish(event);
    const malformed = collector.events.filter((event) => StructuredBlockMalformed.is(event));
    expect(malformed).toHaveLength(1);
    expect(malformed[0]).toMatchObject({ payload: { reason: "extractor-error", itemId: "stream-1:1" } });
    expect(collector.ofType("final")[0]?.text).toBe("ab");
  });

  it("rejects bad options and extractors with errors naming them", () => {
    const next = new CollectingSink();
    expect(() => new FilteringSink(next, { maxCaptureBytes: -1 })).toThrow(/options.maxCaptureBytes/);
    expect(() => new FilteringSink(next, { malformed: "drop" as never })).toThrow(/options.malformed/);
    expect(() => new FilteringSink(next, { maxTagLength: 3 })).toThrow(/options.maxTagLength/);
    const bad: Extractor = { package: "my app", type: "t", version: "v1", newSession: () => ({}) };
    expect(() => new FilteringSink(next, {}, bad)).toThrow(/<my app:t:v1> is invalid/);
    const good: Extractor = { ...TAG_V1, newSession: () => ({}) };
    expect(() => new FilteringSink(next, {}, good, good)).toThrow(/two extractors/);
  });

  it("returns the downstream promise when the downstream sink is asynchronous", async () => {
    const seen: string[] = [];
    const sink = new FilteringSink(
      { publish: async (event) => void seen.push(event.type) },
      {},
      { ...TAG_V1, newSession: () => ({ onStart: () => [StructuredBlockMalformed.create(sample())] }) },
    );
    const pending = sink.publish({
      type: "partial",
      delta: `a${BLOCK}`,
      completion: "",
      meta: { id: "s", seq: 1 },
    });
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(seen).toEqual(["partial", "custom"]);
  });

  it("forwards even when a downstream sink throws, then rethrows", () => {
    let calls = 0;
    const sink = new FilteringSink(
      {
        publish: () => {
          calls++;
          throw new Error("downstream");
        },
      },
      {},
      { ...TAG_V1, newSession: () => ({ onStart: () => [StructuredBlockMalformed.create(sample())] }) },
    );
    const partial: GeppettoEvent = {
      type: "partial",
      delta: `a${BLOCK}b`,
      completion: "",
      meta: { id: "s", seq: 1 },
    };
    expect(() => sink.publish(partial)).toThrow("downstream");
    expect(calls).toBe(3);
  });
});

describe("FilteringSink malformed policies", () => {
  const unclosed = ["text <x:y:v1>cita", "tions: []"];

  it("error-events: drops the block's text and publishes a block-malformed event", () => {
    const result = run(unclosed, { malformed: "error-events" });
    expect(result.text).toBe("text ");
    expect(result.records[0]?.completed).toMatchObject({ raw: "citations: []", ok: false });
    expect(result.records[0]?.completed?.error).toMatch(/not closed/);
    const malformed = result.events.filter((event) => StructuredBlockMalformed.is(event));
    expect(malformed).toHaveLength(1);
    expect(malformed[0]).toMatchObject({
      payload: { reason: "unclosed", package: "x", type: "y", version: "v1", itemId: "stream-1:1" },
    });
  });

  it("reconstruct-text: puts the original text back", () => {
    const result = run(unclosed, { malformed: "reconstruct-text" });
    expect(result.text).toBe("text <x:y:v1>citations: []");
    expect(result.deltas).toBe(result.text);
    expect(result.records[0]?.completed?.ok).toBe(false);
    expect(result.events.some((event) => StructuredBlockMalformed.is(event))).toBe(false);
  });

  it("ignore: drops the block's text silently", () => {
    const result = run(unclosed, { malformed: "ignore" });
    expect(result.text).toBe("text ");
    expect(result.records[0]?.completed?.ok).toBe(false);
    expect(result.events.some((event) => StructuredBlockMalformed.is(event))).toBe(false);
  });

  it("an unclosed block whose text ends in part of the close tag keeps it in the payload", () => {
    const result = run(["<x:y:v1>abc</x:y:v"], { malformed: "reconstruct-text" });
    expect(result.text).toBe("<x:y:v1>abc</x:y:v");
    expect(result.records[0]?.completed?.raw).toBe("abc</x:y:v");
  });
});

describe("FilteringSink maxCaptureBytes", () => {
  const big = `a<x:y:v1>${"0123456789".repeat(3)}</x:y:v1>b`;

  it("enforces the cap: error-events drops the whole block and reports it", () => {
    const result = run([big], { maxCaptureBytes: 10 });
    expect(result.text).toBe("ab");
    expect(result.records[0]?.completed).toMatchObject({ raw: "0123456789", ok: false });
    expect(result.records[0]?.completed?.error).toMatch(/maxCaptureBytes \(10\)/);
    expect(result.records[0]?.raw).toBe("0123456789");
    const malformed = result.events.filter((event) => StructuredBlockMalformed.is(event));
    expect(malformed[0]).toMatchObject({ payload: { reason: "too-large", capturedLength: 10 } });
  });

  it("skips the rest of an oversized block even when it streams in small pieces", () => {
    const result = run([...big], { maxCaptureBytes: 10, malformed: "ignore" });
    expect(result.text).toBe("ab");
    expect(result.records).toHaveLength(1);
  });

  it("reconstruct-text releases the block as text at the point it outgrew the cap", () => {
    const result = run([big], { maxCaptureBytes: 10, malformed: "reconstruct-text" });
    expect(result.text).toBe(big);
    expect(run([...big], { maxCaptureBytes: 10, malformed: "reconstruct-text" }).text).toBe(big);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const accented = "<x:y:v1>éééé</x:y:v1>"; // 8 bytes of payload
    expect(run([accented], { maxCaptureBytes: 8 }).records[0]?.completed?.ok).toBe(true);
    expect(run([accented], { maxCaptureBytes: 7 }).records[0]?.completed?.ok).toBe(false);
  });

  it("accepts a block exactly at the cap", () => {
    expect(run([big], { maxCaptureBytes: 30 }).records[0]?.completed?.ok).toBe(true);
  });
});

function sample() {
  return {
    package: "x",
    type: "y",
    version: "v1",
    itemId: "i",
    reason: "unclosed" as const,
    message: "m",
    capturedLength: 0,
  };
}
