import { describe, expect, it } from "vitest";
import { encodeEvent } from "../events/codec.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { CHECKPOINT_EVERY, FRAME_HEADER, FRAME_VERSION } from "./compaction.ts";
import { CompactingEncoder, FrameLines, quote } from "./compaction-encoder.ts";
import {
  CompletionTracker,
  linesOfFrame,
  newestFirst,
  parseLine,
  type WireEvent,
} from "./compaction-reader.ts";

function answer(count: number): GeppettoEvent[] {
  let completion = "";
  return Array.from({ length: count }, (_, index) => {
    const delta = `wörd${index} `;
    completion += delta;
    return { type: "partial", delta, completion, meta: { id: "m", seq: index + 1, inferenceId: "i" } };
  });
}

async function* none(): AsyncIterable<WireEvent> {}

describe("cumulative text on the wire", () => {
  it("writes a full event every CHECKPOINT_EVERY events of a message, and otherwise only the delta", () => {
    const encoder = new CompactingEncoder();
    // A short answer: its text more than doubles every CHECKPOINT_EVERY events, so the interval decides.
    const count = 2 * CHECKPOINT_EVERY + 1;
    const lines = answer(count).map((event) => encoder.encode("chat", event));
    const full = lines.filter((line) => !line.startsWith("+"));
    expect(full).toHaveLength(Math.ceil(count / CHECKPOINT_EVERY));
  });

  it("spaces the full events as the text grows: bytes per event stay flat however long the answer", () => {
    const encoder = new CompactingEncoder();
    const events = answer(20_000);
    const lines = events.map((event) => encoder.encode("chat", event));
    const full = lines.filter((line) => !line.startsWith("+"));
    const deltaBytes = events.reduce(
      (sum, event) => sum + (event.type === "partial" ? event.delta.length : 0),
      0,
    );
    const fullBytes = full.reduce((sum, line) => sum + line.length, 0);
    // A full event every 64 would write the text 312 times; once it has doubled, about twice in all.
    expect(fullBytes).toBeLessThan(3 * deltaBytes);
    expect(full.length).toBeGreaterThan(Math.ceil(200 / CHECKPOINT_EVERY));
    // Bytes per event stay bounded by the delta and metadata, plus the checkpoints' share: not the answer so far.
    const compactBytes = lines
      .filter((line) => line.startsWith("+"))
      .reduce((sum, line) => sum + line.length, 0);
    expect(compactBytes / (20_000 - full.length)).toBeLessThan(120);
  });

  it("a reader that read from the start rebuilds every event exactly", async () => {
    const encoder = new CompactingEncoder();
    const tracker = new CompletionTracker();
    const events = answer(300);
    for (const event of events) {
      const wire = parseLine(encoder.encode("chat", event))!;
      expect(await tracker.complete("chat", wire, none)).toBe(true);
      expect(wire.event).toEqual(event);
    }
  });

  it("a reader joining mid-answer reads back to the last full event of that message", async () => {
    const encoder = new CompactingEncoder();
    const events = answer(150);
    const other = answer(150).map((event) => ({ ...event, meta: { ...event.meta, inferenceId: "other" } }));
    const lines: string[] = [];
    for (let index = 0; index < events.length; index++) {
      lines.push(encoder.encode("chat", events[index]!), encoder.encode("chat", other[index]!));
    }
    const start = 2 * 100; // event 101 of the first answer, a compact line
    expect(lines[start]!.startsWith("+")).toBe(true);
    const tracker = new CompletionTracker();
    for (let index = start; index < lines.length; index++) {
      const wire = parseLine(lines[index]!)!;
      const earlier = async function* () {
        for (let line = index - 1; line >= 0; line--) yield parseLine(lines[line]!)!;
      };
      expect(await tracker.complete("chat", wire, earlier)).toBe(true);
      expect(wire.event).toEqual(index % 2 === 0 ? events[index / 2] : other[(index - 1) / 2]);
    }
  });

  it("says so when the text before an event is gone (trimmed), keeping the delta", async () => {
    const encoder = new CompactingEncoder();
    const lines = answer(10).map((event) => encoder.encode("chat", event));
    const wire = parseLine(lines[5]!)!;
    expect(await new CompletionTracker().complete("chat", wire, none)).toBe(false);
    expect(wire.event).toMatchObject({ type: "partial", delta: "wörd5 ", completion: "wörd5 " });
  });

  it("writes a token of a message already in the frame as its delta and two numbers, or its delta alone", () => {
    const encoder = new CompactingEncoder();
    const frame = new FrameLines();
    const events = answer(40).map((event) => ({
      ...event,
      meta: {
        ...event.meta,
        turnId: "t-0123456789",
        provider: "openai",
        model: "gpt",
        durationMs: Math.floor(event.meta.seq / 3) / 7,
      },
    }));
    for (const event of events) encoder.encodeInto(frame, "chat", event as GeppettoEvent);
    expect(frame.lines[0]!.startsWith("{")).toBe(true);
    expect(frame.lines.slice(1).every((line) => line.startsWith("=") || line.startsWith('"'))).toBe(true);
    // The next event of the line before with the same duration (one network read): its delta alone.
    expect(frame.lines[1]).toBe('"wörd1 "');
    // A new duration is written.
    expect(frame.lines[2]).toBe(`=1 1 ${1 / 7} "wörd2 "`);
    expect(frame.lines[3]).toBe('"wörd3 "');
    const { events: read } = linesOfFrame(frame.lines.join("\n"));
    expect(read.map((wire) => wire.event.meta)).toEqual(events.map((event) => event.meta));
    expect(read.map((wire) => wire.completionLength ?? -1).slice(1)).toEqual(
      events.slice(1).map((event) => (event as { completion: string }).completion.length),
    );
  });

  it("writes the first token of a message in a frame from its metadata's JSON, read back equal", () => {
    const encoder = new CompactingEncoder();
    const events = answer(6).map((event, index) => ({
      ...event,
      meta: { ...event.meta, turnId: "t", model: "gpt", durationMs: index / 3 },
    })) as GeppettoEvent[];
    // One frame per event, as when 200 interleaved answers put one token of each in a frame.
    const lines = events.map((event) => {
      const frame = new FrameLines();
      encoder.encodeInto(frame, "chat", event);
      return frame.lines[0]!;
    });
    expect(lines.slice(1).every((line) => line.startsWith("+"))).toBe(true);
    const read = lines.map((line) => linesOfFrame(line).events[0]!);
    expect(read.slice(1).map((wire) => wire.event)).toEqual(
      events.slice(1).map((event) => {
        const { completion: _completion, ...rest } = event as { completion: string };
        return rest;
      }),
    );
    expect(read.slice(1).map((wire) => wire.completionLength)).toEqual(
      events.slice(1).map((event) => (event as { completion: string }).completion.length),
    );
  });

  it("reads back interleaved messages and changed metadata from frames exactly", async () => {
    const encoder = new CompactingEncoder();
    const first = answer(120);
    const second = answer(120).map((event) => ({ ...event, meta: { ...event.meta, inferenceId: "other" } }));
    // Usage arrives in the middle of the first answer: its later events carry it (no `=` line across the change).
    const usage = { outputTokens: 60 };
    for (const event of first.slice(60)) (event.meta as { usage?: object }).usage = usage;
    const published: GeppettoEvent[] = [];
    const frames: string[] = [];
    let frame = new FrameLines();
    for (let index = 0; index < first.length; index++) {
      for (const event of [first[index]!, second[index]!]) {
        encoder.encodeInto(frame, "chat", event);
        published.push(event);
        if (frame.lines.length === 7) {
          frames.push(frame.lines.join("\n"));
          frame = new FrameLines();
        }
      }
    }
    frames.push(frame.lines.join("\n"));
    expect(frames.join("\n")).toContain("=");
    // A reader from the start, and one that starts at the 20th frame (reading back what it lacks).
    for (const startFrame of [0, 20]) {
      const tracker = new CompletionTracker();
      const received: GeppettoEvent[] = [];
      for (let index = startFrame; index < frames.length; index++) {
        const { events, skipped } = linesOfFrame(frames[index]);
        expect(skipped).toBe(0);
        for (let position = 0; position < events.length; position++) {
          const older = async function* () {
            for (let earlier = index - 1; earlier >= 0; earlier--) yield frames[earlier];
          };
          const wire = events[position]!;
          expect(
            await tracker.complete("chat", wire, () => newestFirst(events.slice(0, position), older())),
          ).toBe(true);
          received.push(wire.event);
        }
      }
      expect(received).toEqual(published.slice(published.length - received.length));
    }
  });

  it("quotes a delta exactly as JSON.stringify does, escapes and surrogates included", () => {
    const deltas = [
      "",
      " wörd",
      " привет",
      "’s",
      ' say "hi"',
      "back\\slash",
      "line\nbreak\ttab\u0000",
      "\u2028\u2029",
      " 😀",
      "lone \ud800 high",
      "lone \udfff low",
      "\u001f\u007f",
    ];
    for (const delta of deltas) expect(quote(delta)).toBe(JSON.stringify(delta));
  });

  it("skips a = line that refers to no event of its frame", () => {
    const { events, skipped } = linesOfFrame('=3 2 . "x"\n=oops');
    expect(events).toEqual([]);
    expect(skipped).toBe(2);
  });
});

describe("frame format version", () => {
  const event = { type: "start", meta: { id: "m", seq: 1 } } as GeppettoEvent;

  it("reads a frame of this version and an unversioned (version 1) frame alike, indexing events from 0", () => {
    const versioned = linesOfFrame(`${FRAME_HEADER}\n${encodeEvent(event)}`);
    const unversioned = linesOfFrame(encodeEvent(event));
    expect(versioned).toEqual(unversioned);
    expect(versioned.events.map((wire) => wire.index)).toEqual([0]);
    expect(versioned.unknownVersion).toBeUndefined();
  });

  it("skips every line of a frame of an unknown version and names the version", () => {
    const read = linesOfFrame(`@${FRAME_VERSION + 1}\n${encodeEvent(event)}\n${encodeEvent(event)}`);
    expect(read).toEqual({ events: [], skipped: 2, unknownVersion: String(FRAME_VERSION + 1) });
  });
});
