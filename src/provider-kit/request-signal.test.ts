import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { RunContext } from "../events/context.ts";
import { createClaudeEngine } from "../providers/anthropic/engine.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { assistantText, newTurn, newUserTextBlock } from "../turns/builders.ts";

const server = setupLocalServer();

describe("the caller's signal of an HTTP engine's request", () => {
  it("gets no listener from concurrent requests of contexts that cannot be cancelled", async () => {
    server.respond({ script: { text: "one two three" } });
    const engine = createClaudeEngine({ model: "claude-test", apiKey: "key-123456", baseURL: server.url });
    const background = RunContext.background().signal;
    const listening: number[] = [];
    const ctx = RunContext.background().withSinks({
      publish(event) {
        if (event.type === "partial") listening.push(getEventListeners(background, "abort").length);
      },
    });
    const turns = await Promise.all(
      Array.from({ length: 20 }, () => engine.runInference(newTurn([newUserTextBlock("hi")]), ctx)),
    );
    expect(turns.every((turn) => assistantText(turn) === "one two three")).toBe(true);
    expect(listening.length).toBeGreaterThan(0);
    expect(new Set(listening)).toEqual(new Set([0]));
  });

  it("listens to a context's own signal while the request runs, and stops listening at the end", async () => {
    server.respond({ script: { text: "one two three" } });
    const engine = createClaudeEngine({ model: "claude-test", apiKey: "key-123456", baseURL: server.url });
    const controller = new AbortController();
    const listening: number[] = [];
    const ctx = RunContext.background()
      .withSignal(controller.signal)
      .withSinks({
        publish(event) {
          if (event.type !== "partial") return;
          listening.push(getEventListeners(controller.signal, "abort").length);
        },
      });
    const turn = await engine.runInference(newTurn([newUserTextBlock("hi")]), ctx);
    expect(listening[0]).toBeGreaterThan(0);
    expect(assistantText(turn)).toBe("one two three");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});
