/**
 * The contract every engine keeps, run over every provider of the registry (the five built-in engines and the
 * OpenAI-compatible profiles) against the local provider server (real HTTP on
 * 127.0.0.1, scripted answers in each provider's wire form):
 *
 * (a) a text answer streams `partial` events and ends with `final`; the Turn has the llm_text;
 * (b) one tool call (arguments in several chunks) and its result go back in the provider's wire format;
 * (c) parallel tool calls keep their ids, names and arguments, and both results go back;
 * (d) reasoning continues over two turns: the second request replays what the provider needs (Anthropic thinking
 *     + signature, Responses reasoning item id + encrypted content, Gemini thought signatures, Ollama thinking);
 *     OpenAI Chat's policy is that `reasoning_content` is never sent back;
 * (e) max tokens → finish class `max_tokens`, truncated;
 * (f) a 400 with the provider's error body → ProviderError with status and provider type/code, `error` event;
 * (g) cancellation mid-stream resolves with the partial text, finish class `interrupted`, an `interrupt` event.
 *
 * What each scenario expects on the wire comes from the provider's wire protocol (its `contract()`, see
 * `protocol.ts`). An engine skips a scenario only through `skips` there, with the reason in the title.
 */
import { afterAll, describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { ProviderError } from "../../engine/errors.ts";
import { ToolCatalogKey } from "../../engine/tools.ts";
import { CollectingSink, type EventSink, RunContext } from "../../events/context.ts";
import { toyProvider } from "../../provider-kit/__fixtures__/toy/descriptor.ts";
import { registerProvider } from "../../provider-kit/registry.ts";
import type { ProtocolModule, RecordedRequest, ScriptedReply } from "../../testing/provider-server/index.ts";
import {
  appendBlock,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../../turns/builders.ts";
import type { JsonValue } from "../../turns/json.ts";
import type { Turn } from "../../turns/types.ts";
import { setupLocalServer } from "../test-support.ts";
import { contractCatalog, contractEngines, requestBody } from "./engines.ts";

// A throwaway provider with a wire of its own, registered at run time: the suite runs over it like the others.
afterAll(registerProvider(toyProvider));
const server = setupLocalServer();
const ENGINES = await contractEngines();

const context = (...sinks: EventSink[]) =>
  RunContext.background()
    .with(ToolCatalogKey, contractCatalog)
    .withSinks(...sinks);
const question = (text = "What is the weather in Paris?") => newTurn([newUserTextBlock(text)]);
const answerTo = (turn: Turn, results: Record<string, JsonValue>) =>
  appendBlock(
    turn,
    ...pendingToolCalls(turn).map((call) =>
      newToolUseBlock(call.payload.id, results[call.payload.name] ?? null),
    ),
  );

/** Serves `script` and holds the connection open right after the frame that carries `firstToken`. */
function stallAfter(script: ScriptedReply, firstToken: string) {
  return {
    handler: (request: RecordedRequest, protocol: ProtocolModule) => {
      const reply = protocol.render(script, protocol.wantsStream(request), request);
      let bytes = 0;
      for (const frame of reply.frames) {
        const text = typeof frame === "string" ? frame : new TextDecoder().decode(frame);
        bytes += Buffer.byteLength(text, "utf8");
        if (text.includes(firstToken)) break;
      }
      return { script, faults: { stallAfterBytes: bytes } };
    },
  };
}

describe.each(ENGINES)("contract: $name", (adapter) => {
  // A scenario the adapter declares inapplicable (`skips`, with the reason) is not registered at all, so the suite
  // never reports a skipped test; the reasons stay in the adapter.
  const scenario = (name: string, text: string, body: () => Promise<void>) => {
    if (adapter.skips?.[name] === undefined) it(text, body);
  };

  scenario("text", "(a) streams partial events, ends with final, the Turn has the llm_text", async () => {
    const text = "Paris is sunny and mild today.";
    server.respond({ script: { text } });
    const sink = new CollectingSink();
    const turn = await adapter.create(server).runInference(question(), context(sink));
    expect(sink.events[0]?.type).toBe("start");
    expect(sink.ofType("partial").map((event) => event.delta)).toEqual(text.match(/\s*\S+\s*/g));
    expect(sink.events.at(-1)?.type).toBe("final");
    const answers = turn.blocks.filter((block) => block.kind === "llm_text");
    expect(answers.map((block) => block.payload.text)).toEqual([text]);
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "completed", truncated: false });
  });

  scenario("tool-call", "(b) one tool call and its result go back in the wire format", async () => {
    const args = { city: "Paris" };
    server.respond({
      script: { toolCalls: [{ id: "call_weather_1", name: "get_weather", arguments: args, chunks: 3 }] },
    });
    const engine = adapter.create(server);
    const first = await engine.runInference(question(), context());
    const calls = pendingToolCalls(first);
    expect(calls.map((call) => [call.payload.name, call.payload.args])).toEqual([["get_weather", args]]);
    if (adapter.keepsProviderCallIds) expect(calls[0]?.payload.id).toBe("call_weather_1");
    expect(KeyInferenceResult.get(first)?.finishClass).toBe("tool_calls_pending");

    server.respond({ script: { text: "It is sunny." } });
    const second = await engine.runInference(answerTo(first, { get_weather: { sky: "sunny" } }), context());
    expect(requestBody(server)).toMatchObject(adapter.toolRoundTrip);
    const view = adapter.read(requestBody(server));
    expect(view.toolCalls).toEqual(calls.map(adapter.expectedCall));
    expect(view.toolResults).toEqual(
      calls.map((call) => ({ ...adapter.expectedResult(call), output: { sky: "sunny" } })),
    );
    expect(second.blocks.at(-1)).toMatchObject({ kind: "llm_text", payload: { text: "It is sunny." } });
  });

  scenario(
    "parallel-tool-calls",
    "(c) parallel tool calls keep ids, names and args; both results go back",
    async () => {
      server.respond({
        script: {
          toolCalls: [
            { id: "call_a", name: "get_weather", arguments: { city: "Paris" }, chunks: 2 },
            { id: "call_b", name: "get_time", arguments: { zone: "Europe/Paris" }, chunks: 2 },
          ],
        },
      });
      const engine = adapter.create(server);
      const first = await engine.runInference(question(), context());
      const calls = pendingToolCalls(first);
      expect(calls.map((call) => [call.payload.name, call.payload.args])).toEqual([
        ["get_weather", { city: "Paris" }],
        ["get_time", { zone: "Europe/Paris" }],
      ]);
      if (adapter.keepsProviderCallIds)
        expect(calls.map((call) => call.payload.id)).toEqual(["call_a", "call_b"]);
      else expect(new Set(calls.map((call) => call.payload.id)).size).toBe(2);

      server.respond({ script: { text: "Sunny, 14:00." } });
      await engine.runInference(answerTo(first, { get_weather: "sunny", get_time: "14:00" }), context());
      const view = adapter.read(requestBody(server));
      expect(view.toolCalls).toEqual(calls.map(adapter.expectedCall));
      expect(view.toolResults).toEqual([
        { ...adapter.expectedResult(calls[0]!), output: "sunny" },
        { ...adapter.expectedResult(calls[1]!), output: "14:00" },
      ]);
    },
  );

  scenario("reasoning", "(d) reasoning continues over two turns as the provider needs it", async () => {
    const reasoning = "The user wants the weather; call the tool.";
    server.respond({
      script: { reasoning, toolCalls: [{ id: "call_r", name: "get_weather", arguments: { city: "Oslo" } }] },
    });
    const engine = adapter.create(server);
    const first = await engine.runInference(question("Weather in Oslo?"), context());
    const thought = first.blocks.filter((block) => block.kind === "reasoning");
    expect(thought.map((block) => block.payload.text)).toEqual([reasoning]);

    server.respond({ script: { text: "Snow." } });
    await engine.runInference(answerTo(first, { get_weather: "snow" }), context());
    const body = requestBody(server);
    const view = adapter.read(body);
    const expected = adapter.reasoningReplay(reasoning, adapter.sendsReasoningBack);
    expect(view.reasoning).toEqual(expected.replayed);
    if (expected.replayed.length === 0) expect(JSON.stringify(body)).not.toContain(reasoning);
    if (expected.body) expect(body).toMatchObject(expected.body);
    expect(view.toolCalls).toEqual(pendingToolCalls(first).map(adapter.expectedCall));
  });

  scenario("max-tokens", "(e) max tokens → finish class max_tokens, truncated", async () => {
    server.respond({
      script: { text: "A long answer that was cut", stopReason: adapter.maxTokensStopReason },
    });
    const turn = await adapter.create(server, { maxResponseTokens: 6 }).runInference(question(), context());
    expect(KeyInferenceResult.get(turn)).toMatchObject({
      finishClass: "max_tokens",
      truncated: true,
      stopReason: adapter.maxTokensStopReason,
    });
    expect(turn.blocks.at(-1)).toMatchObject({
      kind: "llm_text",
      payload: { text: "A long answer that was cut" },
    });
  });

  scenario(
    "provider-error",
    "(f) a 400 becomes a ProviderError with status and provider type/code",
    async () => {
      server.respond({ error: { status: 400, body: adapter.error.body } });
      const sink = new CollectingSink();
      const failure = await adapter
        .create(server)
        .runInference(question(), context(sink))
        .catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(ProviderError);
      const error = failure as ProviderError;
      expect(error.status).toBe(400);
      expect(error.retryable).toBe(false);
      expect(error.details.provider).toBe(adapter.provider);
      if (adapter.error.providerType) expect(error.details.providerType).toBe(adapter.error.providerType);
      if (adapter.error.providerCode) expect(error.details.providerCode).toBe(adapter.error.providerCode);
      expect(error.message).not.toContain("contract-test-key");
      expect(sink.ofType("error")).toHaveLength(1);
      expect(sink.events.at(-1)?.type).toBe("error");
    },
  );

  scenario("cancellation", "(g) cancellation mid-stream resolves with the partial text", async () => {
    server.respond(stallAfter({ text: "Partial answer that never ends" }, "Partial"));
    const controller = new AbortController();
    const sink = new CollectingSink();
    const aborter: EventSink = {
      publish(event) {
        if (event.type === "partial") controller.abort();
      },
    };
    const ctx = context(sink, aborter).withSignal(controller.signal);
    const turn = await adapter.create(server).runInference(question(), ctx);
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "interrupted", truncated: true });
    const text = turn.blocks.filter((block) => block.kind === "llm_text").map((block) => block.payload.text);
    expect(text).toEqual(["Partial "]);
    expect(sink.ofType("interrupt")).toHaveLength(1);
    expect(sink.ofType("final")).toHaveLength(0);
  });
});
