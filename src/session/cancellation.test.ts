import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { KeyInferenceResult } from "../engine/engine.ts";
import { sinkFrom } from "../events/context.ts";
import { ScriptedEngine, type ScriptStep, script } from "../testing/scripted-engine.ts";
import { KeyToolLoopOutcome } from "../toolloop/loop.ts";
import { defineTool } from "../tools/define-tool.ts";
import { calculatorTool } from "../tools/demo.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { pendingToolCalls } from "../turns/builders.ts";
import { turnFromJson, turnToJson } from "../turns/serialization.ts";
import type { Turn } from "../turns/types.ts";
import { EngineBuilder } from "./engine-builder.ts";
import { Session } from "./session.ts";
import { MemoryTurnStore } from "./turn-store.ts";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
});

const timers = () => process.getActiveResourcesInfo().filter((name) => name === "Timeout").length;

/** A tool that waits a timer tick, honouring its signal. */
const slowTool = defineTool({
  name: "slow",
  description: "waits a little",
  input: z.object({ n: z.number() }),
  execute: ({ n }, { signal }) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => resolve(n), 1);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    }),
});

interface Plan {
  chunks: string[];
  toolCalls: number;
  pauses: boolean;
}

function responder(plan: Plan) {
  return (turn: Turn): ScriptStep[] => {
    const lastUser = turn.blocks.map((block) => block.kind).lastIndexOf("user");
    const answered = turn.blocks.slice(lastUser + 1).some((block) => block.kind === "tool_use");
    if (!answered && plan.toolCalls > 0) {
      return Array.from({ length: plan.toolCalls }, (_, index) =>
        index % 2 === 0
          ? script.toolCall("slow", { n: index }, { chunks: 3 })
          : script.toolCall("calculator", { expression: `${index}+1` }),
      );
    }
    return plan.chunks.flatMap((chunk) =>
      plan.pauses ? [{ type: "text", text: chunk }, script.pause(0)] : [{ type: "text", text: chunk }],
    ) as ScriptStep[];
  };
}

describe("cancellation at random points", () => {
  it("always settles wait() with a valid Turn, leaks no timer, and leaves the session usable", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          chunks: fc.array(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
          toolCalls: fc.integer({ min: 0, max: 3 }),
          pauses: fc.boolean(),
          cancelAt: fc.integer({ min: 1, max: 60 }),
          cancelTwice: fc.boolean(),
          viaSession: fc.boolean(),
          /** Cancel from outside after this many event-loop turns instead of from inside an event. */
          afterTicks: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
        }),
        async ({ cancelAt, cancelTwice, viaSession, afterTicks, ...plan }) => {
          const before = timers();
          let seen = 0;
          let interrupts = 0;
          let armed = true;
          let cancel = () => {};
          const sink = sinkFrom((event) => {
            seen++;
            if (event.type === "interrupt") interrupts++;
            if (armed && afterTicks === undefined && seen === cancelAt) {
              cancel();
              if (cancelTwice) cancel();
            }
          });
          const store = new MemoryTurnStore();
          const engine = new ScriptedEngine(responder(plan), { repeatLast: true });
          const builder = new EngineBuilder()
            .withBase(engine)
            .withSinks(sink)
            .withToolRegistry(new ToolRegistry([slowTool, calculatorTool]))
            .withToolConfig({ executionTimeoutMs: 10_000, maxParallelTools: 2 })
            .withPersister(store);
          const session = new Session({ runner: builder });
          session.appendNewTurnFromUserPrompt("go");
          const handle = session.startInference();
          cancel = viaSession ? () => void session.cancelActive() : () => handle.cancel();
          if (afterTicks !== undefined) {
            for (let tick = 0; tick < afterTicks; tick++)
              await new Promise((resolve) => setImmediate(resolve));
            cancel();
            if (cancelTwice) cancel();
          }
          const turn = await handle.wait();
          expect(turnFromJson(turnToJson(turn))).toEqual(turn);
          const outcome = KeyToolLoopOutcome.get(turn)!;
          if (handle.cancelled) {
            expect(outcome.status === "interrupted" || outcome.status === "completed").toBe(true);
            if (outcome.status === "interrupted") {
              expect(KeyInferenceResult.get(turn)?.finishClass).toBe("interrupted");
              expect(interrupts).toBe(1);
            }
          } else {
            expect(outcome.status).toBe("completed");
            expect(interrupts).toBe(0);
          }
          expect(session.isRunning()).toBe(false);

          armed = false;
          session.appendNewTurnFromUserPrompt("again");
          const next = await session.startInference().wait();
          expect(KeyToolLoopOutcome.get(next)?.status).toBe("completed");
          expect(pendingToolCalls(next).length).toBeLessThanOrEqual(pendingToolCalls(turn).length);
          expect(await store.loadSession(session.id)).toEqual(session.turns);
          expect(timers()).toBeLessThanOrEqual(before);
        },
      ),
      { numRuns: 200 },
    );
    expect(unhandled).toEqual([]);
  });
});
