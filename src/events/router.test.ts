import { describe, expect, it } from "vitest";
import { EventRouter, RouterOverflowError } from "./router.ts";
import type { GeppettoEvent } from "./types.ts";

const partial = (delta: string, completion: string): GeppettoEvent => ({
  type: "partial",
  delta,
  completion,
  meta: { id: "m", seq: 0 },
});
const final = (text: string): GeppettoEvent => ({ type: "final", text, meta: { id: "m", seq: 0 } });

describe("EventRouter", () => {
  it("delivers by topic to every handler, in order, and drains on close", async () => {
    const router = new EventRouter();
    const chat: string[] = [];
    const audit: string[] = [];
    router.addHandler("chat", "chat", (event) => {
      if (event.type === "partial") chat.push(event.delta);
    });
    router.addHandler("audit", "audit", (event) => void audit.push(event.type));
    const done = router.run();
    await router.running;
    const sink = router.sink("chat");
    sink.publish(partial("a", "a"));
    sink.publish(partial("b", "ab"));
    router.sink("audit").publish(final("ab"));
    await router.close();
    await done;
    expect(chat).toEqual(["a", "b"]);
    expect(audit).toEqual(["final"]);
    expect(router.stats().chat).toMatchObject({ delivered: 2, dropped: 0, queued: 0 });
  });

  it("never blocks the publisher on a slow handler, and a fast handler is not delayed by it", async () => {
    const router = new EventRouter({ bufferSize: 4, onDrop: () => {} });
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const slowSeen: GeppettoEvent[] = [];
    const fastSeen: string[] = [];
    router.addHandler("slow", "t", async (event) => {
      await slowGate;
      slowSeen.push(event);
    });
    router.addHandler("fast", "t", (event) => void fastSeen.push(event.type), { bufferSize: 1000 });
    router.run();
    const sink = router.sink("t");
    let text = "";
    for (let index = 0; index < 100; index++) {
      text += "x";
      sink.publish(partial("x", text));
    }
    sink.publish(final(text));
    // publishing returned synchronously 101 times although the slow handler has not finished one event
    await new Promise((resolve) => setImmediate(resolve));
    expect(fastSeen).toHaveLength(101);
    releaseSlow();
    await router.close();
    // drop-streaming kept the final event and dropped old partials only; the last partial still has all text
    const last = slowSeen[slowSeen.length - 1];
    expect(last).toEqual(final(text));
    const lastPartial = slowSeen.filter((event) => event.type === "partial").pop();
    expect(lastPartial?.type === "partial" && lastPartial.completion).toBe(text);
    expect(router.stats().slow!.dropped).toBeGreaterThan(0);
    expect(router.stats().slow!.dropped + router.stats().slow!.delivered).toBe(101);
  });

  it("applies the drop-newest and error policies", async () => {
    const drops: string[] = [];
    const router = new EventRouter({ bufferSize: 1, onDrop: (handler) => drops.push(handler) });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const newestSeen: string[] = [];
    router.addHandler(
      "newest",
      "n",
      async (event) => {
        await gate;
        if (event.type === "final") newestSeen.push(event.text);
      },
      { overflow: "drop-newest" },
    );
    router.addHandler(
      "strict",
      "s",
      async () => {
        await gate;
      },
      { overflow: "error" },
    );
    router.run();
    await new Promise((resolve) => setImmediate(resolve));
    const newest = router.sink("n");
    const strict = router.sink("s");
    newest.publish(final("1"));
    strict.publish(final("1"));
    await new Promise((resolve) => setImmediate(resolve)); // both handlers took "1" and wait on the gate
    newest.publish(final("2")); // queued
    newest.publish(final("3")); // buffer full: dropped
    strict.publish(final("2"));
    expect(() => strict.publish(final("3"))).toThrow(RouterOverflowError);
    release();
    await router.close();
    expect(newestSeen).toEqual(["1", "2"]);
    expect(drops).toEqual(["newest", "strict"]);
  });

  it("reports a failing handler and keeps delivering", async () => {
    const failures: string[] = [];
    const router = new EventRouter({
      onHandlerError: (handler, error) => failures.push(`${handler}: ${(error as Error).message}`),
    });
    const seen: string[] = [];
    router.addHandler("flaky", "t", (event) => {
      if (event.type === "final" && event.text === "bad") throw new Error("cannot render");
      if (event.type === "final") seen.push(event.text);
    });
    router.run();
    router.sink("t").publish(final("bad"));
    router.sink("t").publish(final("good"));
    await router.close();
    expect(failures).toEqual(["flaky: cannot render"]);
    expect(seen).toEqual(["good"]);
    expect(router.stats().flaky).toMatchObject({ failed: 1, delivered: 1 });
  });

  it("closes twice harmlessly and refuses handlers after close", async () => {
    const router = new EventRouter();
    await router.close();
    await router.close();
    expect(() => router.addHandler("late", "t", () => {})).toThrow(/closed/);
  });
});
