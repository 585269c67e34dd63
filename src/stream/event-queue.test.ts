import { createHook } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import type { GeppettoEvent } from "../events/types.ts";
import { EventQueue } from "./event-queue.ts";

const events = (count: number): GeppettoEvent[] =>
  Array.from({ length: count }, (_, index) => ({
    type: "partial",
    delta: `w${index} `,
    completion: "",
    meta: { id: "m", seq: index + 1 },
  }));

describe("EventQueue reader", () => {
  it("yields every queued event in order, then the end", async () => {
    const queue = new EventQueue(8);
    const reader = queue.reader(
      (event) => event.meta.seq,
      () => {},
    );
    for (const event of events(20)) queue.publish(event);
    queue.close();
    const seen: number[] = [];
    for await (const seq of reader) seen.push(seq);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it("a caller of next() reads each result's value before the next call (the result object is reused)", async () => {
    const queue = new EventQueue();
    const reader = queue.reader(
      (event) => event.meta.seq,
      () => {},
    );
    for (const event of events(3)) queue.publish(event);
    queue.close();
    const values: number[] = [];
    for (let result = await reader.next(); !result.done; result = await reader.next())
      values.push(result.value);
    expect(values).toEqual([1, 2, 3]);
  });

  it("serves a queued event with no promise of its own: a for await step costs only the loop's await", async () => {
    const queue = new EventQueue(4096);
    const reader = queue.reader(
      (event) => event,
      () => {},
    );
    for (const event of events(2000)) queue.publish(event);
    queue.close();
    let promises = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === "PROMISE") promises++;
      },
    });
    let count = 0;
    hook.enable();
    try {
      for await (const _event of reader) count++;
    } finally {
      hook.disable();
    }
    expect(count).toBe(2000);
    // With promise hooks on, V8 allocates one throwaway promise per await: that is the loop's, not the queue's.
    expect(promises / count).toBeLessThan(1.1);
  });
});
