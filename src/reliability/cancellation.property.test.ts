/**
 * The random-cancellation property: cancel a tool loop at a random point (any event: while the tool calls
 * stream, between inference and tools, while tools run, after them), or break its stream at a random byte; then
 * the conversation goes on with the next inference, against a local server that refuses unpaired tool calls
 * and results with HTTP 400 the way OpenAI, Anthropic and Gemini do. It must always succeed, and the Turn the
 * loop left must already have a result for every call (the loop answers calls that never ran).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { GeppettoError } from "../engine/errors.ts";
import { RunContext } from "../events/context.ts";
import {
  type ProviderServer,
  type ResponseSpec,
  startProviderServer,
} from "../testing/provider-server/index.ts";
import { runToolLoop } from "../toolloop/loop.ts";
import { defineTool } from "../tools/define-tool.ts";
import { ToolRegistry } from "../tools/registry.ts";
import {
  appendBlock,
  assistantText,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import {
  bytesOf,
  createTestEngine,
  ENGINE_NAMES,
  type EngineName,
  framesOf,
  protocolOf,
} from "./test-support.ts";

const RUNS = 1_000;
const FOLLOW_UP = "go on please";

/** What the server does with the next tool-call answer. */
let current: { calls: number; cutAt: number | undefined } = { calls: 1, cutAt: undefined };

function toolCallScript(calls: number) {
  return {
    text: "Let me look that up.",
    toolCalls: Array.from({ length: calls }, (_, index) => ({
      id: `call_${index}`,
      name: "lookup",
      arguments: { query: `item ${index}` },
      chunks: 2,
    })),
  };
}

/** Tool calls for the first request of a run; a plain answer once results (or the follow-up) are in. */
const answer: ResponseSpec = {
  handler: (request, protocol) => {
    const body = JSON.stringify(request.body);
    if (body.includes(FOLLOW_UP) || body.includes("lookup-result") || body.includes("this tool ran")) {
      return { script: { text: "Here is what I found." } };
    }
    const script = toolCallScript(current.calls);
    if (current.cutAt === undefined) return { script };
    const frames = framesOf(protocol, request, script);
    const total = bytesOf(frames, frames.length);
    return { script, faults: { cutAfterBytes: Math.floor(current.cutAt * total) } };
  },
};

let server: ProviderServer;
beforeAll(async () => {
  server = await startProviderServer({ validateToolPairing: true, response: answer });
});
afterAll(async () => {
  await server.close();
});

const lookup = defineTool({
  name: "lookup",
  description: "Looks a query up.",
  input: z.object({ query: z.string() }),
  execute: async ({ query }, { signal }) => {
    // One macrotask of work, so a cancel can land while tools run.
    await new Promise<void>((resolve) => {
      const timer = setImmediate(resolve);
      signal.addEventListener("abort", () => {
        clearImmediate(timer);
        resolve();
      });
    });
    return { query, found: "lookup-result" };
  },
});
const registry = new ToolRegistry().register(lookup);

interface Case {
  engine: EngineName;
  calls: number;
  /** Cancel when this many events were published (0: never). */
  cancelAt: number;
  /** Break the tool-call stream at this fraction of its bytes (undefined: no break). */
  cutAt: number | undefined;
  parallel: number;
}

async function runCase(test: Case): Promise<void> {
  current = { calls: test.calls, cutAt: test.cutAt };
  const engine = createTestEngine(test.engine, { baseURL: server.baseURL(protocolOf(test.engine)) });
  const controller = new AbortController();
  let published = 0;
  const ctx = RunContext.background()
    .withSignal(controller.signal)
    .withSinks({
      publish: () => {
        published++;
        if (published === test.cancelAt) controller.abort(new Error("cancelled at random"));
      },
    });
  let left: Turn;
  try {
    left = (
      await runToolLoop(newTurn([newUserTextBlock("Look these up")]), ctx, {
        engine,
        registry,
        tools: { maxParallelTools: test.parallel },
      })
    ).turn;
  } catch (error) {
    if (!GeppettoError.is(error) || !error.turn) throw error;
    expect(error.code).not.toBe("invalid_request");
    left = error.turn;
  }
  expect(pendingToolCalls(left)).toEqual([]);
  const next = await engine.runInference(
    appendBlock(left, newUserTextBlock(FOLLOW_UP)),
    RunContext.background(),
  );
  expect(assistantText(next)).toContain("Here is what I found.");
}

describe("random cancellation of a tool loop", () => {
  it(`the next inference always succeeds against a server that validates call/result pairing (${RUNS} runs)`, async () => {
    const cases = fc.record({
      engine: fc.constantFrom(...ENGINE_NAMES),
      calls: fc.integer({ min: 1, max: 3 }),
      cancelAt: fc.integer({ min: 0, max: 30 }),
      cutAt: fc.option(fc.double({ min: 0.3, max: 1, noNaN: true, maxExcluded: true }), {
        nil: undefined,
        freq: 4,
      }),
      parallel: fc.constantFrom(1, 4),
    });
    await fc.assert(fc.asyncProperty(cases, runCase), { numRuns: RUNS });
  }, 180_000);

  it("a Turn left with an unanswered call (an older version saved it) is repaired by the request builders", async () => {
    for (const engineName of ENGINE_NAMES) {
      current = { calls: 2, cutAt: undefined };
      const engine = createTestEngine(engineName, { baseURL: server.baseURL(protocolOf(engineName)) });
      // Only the model's tool calls, no tool loop: the calls stay unanswered in the Turn.
      const withCalls = await engine.runInference(
        newTurn([newUserTextBlock("Look these up")]),
        RunContext.background(),
      );
      expect(pendingToolCalls(withCalls)).toHaveLength(2);
      const next = await engine.runInference(
        appendBlock(withCalls, newUserTextBlock(FOLLOW_UP)),
        RunContext.background(),
      );
      expect(assistantText(next)).toContain("Here is what I found.");
    }
  });

  it("the validating server refuses an unpaired call the way the providers do (so the property means something)", async () => {
    const response = await fetch(`${server.baseURL("openai-chat")}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "user", content: FOLLOW_UP },
        ],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("did not have response messages: call_1");
  });
});
