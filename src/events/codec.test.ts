import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeEvent, defineCustomEvent, encodeEvent } from "./codec.ts";
import type { GeppettoEvent } from "./types.ts";

describe("event codec", () => {
  it("round trips built-in events", () => {
    const events: GeppettoEvent[] = [
      { type: "partial", delta: "lo", completion: "Hello", meta: { id: "m", seq: 3, turnId: "t" } },
      { type: "tool-call", toolCall: { id: "c", name: "f", input: { a: 1 } }, meta: { id: "m", seq: 4 } },
      {
        type: "error",
        message: "overloaded",
        code: "overloaded_error",
        retryable: true,
        meta: { id: "m", seq: 5 },
      },
    ];
    for (const event of events) expect(decodeEvent(encodeEvent(event))).toEqual(event);
  });

  it("decodes registered custom events with their payload checked", () => {
    const Progress = defineCustomEvent("test.progress", z.object({ done: z.number() }));
    const event = Progress.create({ done: 0.5 }, { id: "m", seq: 1 });
    const decoded = decodeEvent(encodeEvent(event));
    expect(Progress.is(decoded) && decoded.payload.done).toBe(0.5);
    const invalid = decodeEvent({
      type: "custom",
      name: "test.progress",
      payload: { done: "half" },
      meta: { id: "m", seq: 2 },
    });
    expect(invalid.type).toBe("unknown");
    expect(invalid.meta.extra?.decodeError).toMatch(/test\.progress/);
  });

  it("never throws: unknown types, junk and non-objects become unknown events", () => {
    const future = decodeEvent('{"type":"video-frame","frame":7,"meta":{"id":"m","seq":9}}');
    expect(future).toMatchObject({ type: "unknown", originalType: "video-frame", raw: { frame: 7 } });
    expect(future.meta.seq).toBe(9);
    expect(decodeEvent("not json").type).toBe("unknown");
    expect(decodeEvent("[1,2]").type).toBe("unknown");
    expect(decodeEvent({ type: 42 }).type).toBe("unknown");
    expect(decodeEvent({ type: "partial" }).meta).toEqual({ id: "", seq: 0 });
  });

  it("keeps an unknown event whole when encoding it again", () => {
    const raw = '{"type":"video-frame","frame":7,"meta":{"id":"m","seq":9}}';
    expect(JSON.parse(encodeEvent(decodeEvent(raw)))).toEqual(JSON.parse(raw));
  });
});
