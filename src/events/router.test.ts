import { describe, expect, it } from "vitest";
import { EventRouter, RouterCloseTimeoutError, RouterOverflowError } from "./router.ts";
import { deduplicate } from "./transport.ts";
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

  it("error policy: one handler's full buffer affects only that handler (the others get every event)", async () => {
    const router = new EventRouter({ bufferSize: 2, onDrop: () => {} });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    router.addHandler("strict", "t", () => gate, { overflow: "error" });
    const healthy: string[] = [];
    router.addHandler(
      "healthy",
      "t",
      (event) => void healthy.push(event.type === "final" ? event.text : ""),
      {
        bufferSize: 64,
      },
    );
    router.run();
    const sink = router.sink("t");
    let refused = 0;
    for (let index = 0; index < 50; index++) {
      try {
        sink.publish(final(String(index)));
      } catch (error) {
        expect(error).toBeInstanceOf(RouterOverflowError);
        refused++;
      }
    }
    release();
    await router.close();
    expect(refused).toBeGreaterThan(40);
    expect(healthy).toEqual(Array.from({ length: 50 }, (_, index) => String(index)));
    expect(router.stats().strict!.dropped).toBe(refused);
    expect(router.stats().healthy).toMatchObject({ delivered: 50, dropped: 0 });
  });

  it("block policy: publish waits for room, nothing is lost, order is kept", async () => {
    const router = new EventRouter({ bufferSize: 2, overflow: "block", onDrop: () => {} });
    const seen: string[] = [];
    let releaseFirst!: () => void;
    const firstGate = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    router.addHandler("audit", "t", async (event) => {
      if (seen.length === 0) await firstGate;
      if (event.type === "final") seen.push(event.text);
    });
    router.run();
    const sink = router.sink("t");
    const pending = Array.from({ length: 20 }, (_, index) => sink.publish(final(String(index))));
    await new Promise((resolve) => setImmediate(resolve));
    expect(router.stats().audit!.waiting).toBeGreaterThan(0);
    const waited = pending.filter((publishing) => publishing instanceof Promise);
    expect(waited.length).toBeGreaterThan(0);
    releaseFirst();
    await Promise.all(pending);
    await router.close();
    expect(seen).toEqual(Array.from({ length: 20 }, (_, index) => String(index)));
    expect(router.stats().audit).toMatchObject({ delivered: 20, dropped: 0, waiting: 0 });
  });

  it("block policy: a publish that waits longer than blockTimeoutMs is dropped, counted and reported", async () => {
    const drops: string[] = [];
    const router = new EventRouter({
      bufferSize: 1,
      overflow: "block",
      blockTimeoutMs: 20,
      onDrop: (handler, event) => drops.push(`${handler}:${event.type === "final" ? event.text : ""}`),
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    router.addHandler("stuck", "t", () => gate);
    router.run();
    await new Promise((resolve) => setImmediate(resolve));
    const sink = router.sink("t");
    sink.publish(final("taken"));
    await new Promise((resolve) => setImmediate(resolve));
    sink.publish(final("queued"));
    const rejection = await Promise.resolve(sink.publish(final("late"))).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(RouterOverflowError);
    expect((rejection as RouterOverflowError).code).toBe("router_block_timeout");
    expect(drops).toEqual(["stuck:late"]);
    release();
    await router.close();
    expect(router.stats().stuck).toMatchObject({ delivered: 2, dropped: 1 });
  });

  it("close() times out on a handler that never settles and reports it", async () => {
    const errors: unknown[] = [];
    const router = new EventRouter({ onHandlerError: (_handler, error) => errors.push(error) });
    router.addHandler("hung", "t", () => new Promise<void>(() => {}));
    router.addHandler("fine", "t", () => {});
    const done = router.run();
    router.sink("t").publish(final("1"));
    router.sink("t").publish(final("2"));
    await router.close({ timeoutMs: 30 });
    await done;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RouterCloseTimeoutError);
    expect((errors[0] as RouterCloseTimeoutError).handler).toBe("hung");
    expect(router.stats().hung).toMatchObject({ delivered: 0, dropped: 1 });
    expect(router.stats().fine).toMatchObject({ delivered: 2 });
  });

  it("counts an event published after close as dropped", async () => {
    const drops: string[] = [];
    const router = new EventRouter({ onDrop: (handler) => drops.push(handler) });
    router.addHandler("late", "t", () => {});
    router.run();
    await router.close();
    router.sink("t").publish(final("after"));
    expect(router.stats().late).toMatchObject({ delivered: 0, dropped: 1 });
    expect(drops).toEqual(["late"]);
  });

  it("rejects a buffer size that is not a positive integer, naming it", () => {
    expect(() => new EventRouter({ bufferSize: 0 })).toThrow(/bufferSize must be a positive integer, got 0/);
    const router = new EventRouter();
    expect(() => router.addHandler("h", "t", () => {}, { bufferSize: 0 })).toThrow(/bufferSize of "h"/);
    expect(() => new EventRouter({ bufferSize: 1.5 })).toThrow(/got 1.5/);
  });

  it("deduplicate skips an event delivered twice (same id and seq)", async () => {
    const seen: number[] = [];
    const handler = deduplicate((event) => void seen.push(event.meta.seq));
    for (const seq of [1, 2, 2, 3, 1]) await handler({ ...final("x"), meta: { id: "m", seq } });
    expect(seen).toEqual([1, 2, 3]);
  });
});
