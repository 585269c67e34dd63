import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { CollectingSink, RunContext } from "../events/context.ts";
import type { ToolCallPayload } from "../turns/types.ts";
import { defineTool } from "./define-tool.ts";
import { executeToolCalls } from "./executor.ts";
import { ToolRegistry } from "./registry.ts";

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const call = (id: string, name: string, args: ToolCallPayload["args"] = {}): ToolCallPayload => ({
  id,
  name,
  args,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("executeToolCalls", () => {
  it("never runs more than maxParallelTools at once, and keeps call order", async () => {
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 6 }, () => deferred());
    const slow = defineTool({
      name: "slow",
      description: "waits for its gate",
      input: z.object({ index: z.number() }),
      execute: async ({ index }) => {
        running++;
        peak = Math.max(peak, running);
        await gates[index]!.promise;
        running--;
        return index;
      },
    });
    const registry = new ToolRegistry([slow]);
    const calls = gates.map((_, index) => call(`c${index}`, "slow", { index }));
    const pending = executeToolCalls(calls, RunContext.background(), {
      registry,
      config: { maxParallelTools: 2 },
    });
    for (const gate of [...gates].reverse()) {
      await new Promise((resolve) => setImmediate(resolve));
      gate.resolve();
    }
    const { results } = await pending;
    expect(peak).toBe(2);
    expect(results.map((result) => result.result)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("applies executionTimeoutMs: the tool's signal aborts and the call ends as a timeout", async () => {
    vi.useFakeTimers();
    let sawAbort = false;
    const stuck = defineTool({
      name: "stuck",
      description: "never ends on its own",
      input: z.object({}),
      execute: (_args, { signal }) =>
        new Promise(() => {
          signal.addEventListener("abort", () => {
            sawAbort = true;
          });
        }),
    });
    const pending = executeToolCalls([call("c1", "stuck")], RunContext.background(), {
      registry: new ToolRegistry([stuck]),
      config: { executionTimeoutMs: 1_000 },
    });
    await vi.advanceTimersByTimeAsync(1_000);
    const { results } = await pending;
    expect(sawAbort).toBe(true);
    expect(results[0]).toMatchObject({
      status: "timeout",
      error: 'tool "stuck" timed out after 1000 ms',
      result: null,
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("turns invalid arguments, unparsable arguments, unknown and disallowed tools into error results", async () => {
    const add = defineTool({
      name: "add",
      description: "adds",
      input: z.object({ a: z.number(), b: z.number() }),
      execute: ({ a, b }) => a + b,
    });
    const other = defineTool({ name: "other", description: "", input: z.object({}), execute: () => 1 });
    const { results } = await executeToolCalls(
      [
        call("c1", "add", { a: 1, b: "two" }),
        { id: "c2", name: "add", args: {}, argsText: "{a: 1" },
        call("c3", "nope"),
        call("c4", "other"),
        call("c5", "add", { a: 1, b: 2 }),
      ],
      RunContext.background(),
      { registry: new ToolRegistry([add, other]), config: { allowedTools: ["add"] } },
    );
    expect(results.map((result) => [result.status, result.error])).toEqual([
      ["invalid_arguments", expect.stringMatching(/^invalid arguments for "add": \$\.b: .*expected number/)],
      ["invalid_arguments", "arguments are not a JSON object: {a: 1"],
      ["unknown_tool", 'unknown tool "nope" (available: add, other)'],
      ["not_allowed", 'tool "other" is not allowed here'],
      ["ok", undefined],
    ]);
    expect(results[4]!.result).toBe(3);
  });

  it("retries with exponential backoff under errorPolicy retry", async () => {
    vi.useFakeTimers();
    let attempts = 0;
    const flaky = defineTool({
      name: "flaky",
      description: "fails twice",
      input: z.object({}),
      execute: () => {
        attempts++;
        if (attempts < 3) throw new Error(`failure ${attempts}`);
        return "ok";
      },
    });
    const pending = executeToolCalls([call("c1", "flaky")], RunContext.background(), {
      registry: new ToolRegistry([flaky]),
      config: { errorPolicy: "retry", maxRetries: 2, retryBackoffMs: 100 },
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    const { results } = await pending;
    expect(results[0]).toMatchObject({ status: "ok", result: "ok", attempts: 3 });
  });

  it("under errorPolicy abort, starts no new call after a failure and reports the abort", async () => {
    const boom = defineTool({
      name: "boom",
      description: "",
      input: z.object({ fail: z.boolean() }),
      execute: ({ fail }) => {
        if (fail) throw new Error("kaboom");
        return "fine";
      },
    });
    const outcome = await executeToolCalls(
      [
        call("c1", "boom", { fail: false }),
        call("c2", "boom", { fail: true }),
        call("c3", "boom", { fail: false }),
      ],
      RunContext.background(),
      { registry: new ToolRegistry([boom]), config: { errorPolicy: "abort", maxParallelTools: 1 } },
    );
    expect(outcome.results.map((result) => result.status)).toEqual(["ok", "error"]);
    expect(outcome.aborted?.code).toBe("tool_execution_aborted");
    expect(outcome.aborted?.message).toBe('tool "boom" failed: kaboom');
  });

  it("publishes tool-call-execute and tool-call-execution-result", async () => {
    const sink = new CollectingSink();
    const echo = defineTool({
      name: "echo",
      description: "",
      input: z.object({ s: z.string() }),
      execute: ({ s }) => s,
    });
    await executeToolCalls([call("c1", "echo", { s: "hi" })], RunContext.background().withSinks(sink), {
      registry: new ToolRegistry([echo]),
    });
    expect(sink.events.map((event) => event.type)).toEqual([
      "tool-call-execute",
      "tool-call-execution-result",
    ]);
    expect(sink.ofType("tool-call-execution-result")[0]!.toolResult).toMatchObject({
      id: "c1",
      result: "hi",
    });
  });
});
