import { describe, expect, it, vi } from "vitest";
import { CollectingSink, contextKey, publish, RunContext, sinkFrom } from "./context.ts";
import type { GeppettoEvent } from "./types.ts";

const status = (text: string): GeppettoEvent => ({ type: "status", text, meta: { id: "m", seq: 0 } });

describe("RunContext", () => {
  it("is immutable: derivations return new contexts", () => {
    const base = RunContext.background();
    const sink = new CollectingSink();
    const derived = base.withSinks(sink).withIds({ sessionId: "s1" });
    expect(base.sinks).toHaveLength(0);
    expect(base.ids).toEqual({});
    expect(derived.sinks).toEqual([sink]);
    expect(derived.ids.sessionId).toBe("s1");
    expect(Object.isFrozen(derived)).toBe(true);
  });

  it("carries typed values", () => {
    const User = contextKey<{ name: string }>("app.user");
    const ctx = RunContext.background().with(User, { name: "ada" });
    expect(ctx.get(User)?.name).toBe("ada");
    expect(RunContext.background().get(User)).toBeUndefined();
  });

  it("combines signals: either one aborts the run", () => {
    const outer = new AbortController();
    const inner = new AbortController();
    const ctx = RunContext.background().withSignal(outer.signal).withSignal(inner.signal);
    expect(ctx.signal.aborted).toBe(false);
    inner.abort();
    expect(ctx.signal.aborted).toBe(true);
    const replaced = RunContext.background()
      .withSignal(outer.signal)
      .withSignal(new AbortController().signal, { replace: true });
    outer.abort();
    expect(replaced.signal.aborted).toBe(false);
  });
});

describe("publish", () => {
  it("stamps a strictly increasing seq per inference and the context's ids", () => {
    const sink = new CollectingSink();
    const ctx = RunContext.background()
      .withSinks(sink)
      .withIds({ sessionId: "s", inferenceId: "i1", turnId: "t" });
    publish(ctx, status("a"));
    publish(ctx, status("b"));
    const next = ctx.withIds({ inferenceId: "i2" });
    publish(next, status("c"));
    expect(sink.events.map((event) => event.meta.seq)).toEqual([1, 2, 1]);
    expect(sink.events[0]?.meta).toMatchObject({ sessionId: "s", inferenceId: "i1", turnId: "t" });
    expect(sink.events[2]?.meta.inferenceId).toBe("i2");
  });

  it("shares one sequence between contexts derived within the same inference", () => {
    const sink = new CollectingSink();
    const ctx = RunContext.background().withIds({ inferenceId: "i" });
    publish(ctx.withSinks(sink), status("a"));
    publish(ctx.withSinks(sink).withIds({ turnId: "t2" }), status("b"));
    expect(sink.events.map((event) => event.meta.seq)).toEqual([1, 2]);
  });

  it("reports a throwing or rejecting sink and keeps delivering to the others", async () => {
    const reports: string[] = [];
    const good = new CollectingSink();
    const ctx = RunContext.background()
      .withSinks(
        sinkFrom(() => {
          throw new Error("boom");
        }),
        sinkFrom(async () => {
          throw new Error("async boom");
        }),
        good,
      )
      .withSinkErrorHandler((error, event) => reports.push(`${(error as Error).message} on ${event.type}`));
    publish(ctx, status("x"));
    await Promise.resolve();
    await Promise.resolve();
    expect(good.events).toHaveLength(1);
    expect(reports).toEqual(["boom on status", "async boom on status"]);
  });

  it("warns on stderr by default instead of swallowing a sink failure", () => {
    const emitWarning = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const ctx = RunContext.background().withSinks(
        sinkFrom(() => {
          throw new Error("disk full");
        }),
      );
      publish(ctx, status("x"));
      expect(emitWarning).toHaveBeenCalledWith(expect.stringContaining("disk full"), {
        code: "GEPPETTO_SINK_ERROR",
      });
    } finally {
      emitWarning.mockRestore();
    }
  });
});

describe("publish builds the metadata", () => {
  it("sets seq, a fresh id and the context's ids on a draft without meta, and returns the event", () => {
    const sink = new CollectingSink();
    const ctx = RunContext.background()
      .withSinks(sink)
      .withIds({ sessionId: "s", inferenceId: "i", turnId: "t" });
    const first = publish(ctx, { type: "status", text: "a" });
    const second = publish(ctx, {
      type: "log",
      level: "info",
      message: "b",
      meta: { id: "mine", turnId: "other" },
    });
    expect(sink.events).toEqual([first, second]);
    expect(first.meta).toMatchObject({ seq: 1, sessionId: "s", inferenceId: "i", turnId: "t" });
    expect(first.meta.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.meta).toMatchObject({ id: "mine", seq: 2, turnId: "other" });
  });

  it("combines flow gates: ready waits for every one", async () => {
    let releaseFirst!: () => void;
    const first = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let full = true;
    const ctx = RunContext.background()
      .withFlowGate({ ready: () => (full ? first : undefined) })
      .withFlowGate({ ready: () => undefined });
    expect(RunContext.background().ready()).toBeUndefined();
    const wait = ctx.ready();
    expect(wait).toBeInstanceOf(Promise);
    full = false;
    releaseFirst();
    await wait;
    expect(ctx.ready()).toBeUndefined();
  });
});
