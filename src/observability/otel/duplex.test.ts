/**
 * Duplex session spans with OpenTelemetry's in-memory exporter, over real WebSockets and HTTP against the local
 * realtime server: a realtime session (OpenAI Realtime and Gemini Live) traces each exchange as a `chat {model}`
 * span with its tool calls under one `duplex_session` span; a dropped connection fails them; a VAD session's
 * inferences nest under the session span as a Session traces them.
 */
import { SpanStatusCode } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { RunContext } from "../../events/context.ts";
import { DuplexSession } from "../../sessions/duplex/duplex-session.ts";
import { geminiLiveMode } from "../../sessions/duplex/gemini-live.ts";
import { openAIRealtimeMode } from "../../sessions/duplex/openai-realtime.ts";
import { openAITranscriber } from "../../sessions/duplex/speech-clients.ts";
import { readResponse } from "../../sessions/duplex/test-support.ts";
import { vadMode } from "../../sessions/duplex/vad-mode.ts";
import { MemoryStateStore } from "../../sessions/state-store.ts";
import { type RealtimeServer, startRealtimeServer } from "../../testing/realtime/index.ts";
import { ScriptedEngine, script } from "../../testing/scripted-engine.ts";
import { defineTool } from "../../tools/define-tool.ts";
import { ToolRegistry } from "../../tools/registry.ts";
import { createConsoleLogger } from "../logger.ts";
import { openTelemetryTracer } from "./index.ts";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
afterEach(() => exporter.reset());
const traced = (captureContent = false) =>
  RunContext.background().withTracer(
    openTelemetryTracer({ tracer: provider.getTracer("test"), captureContent }),
  );

let server: RealtimeServer;
let replies: (() => { text?: string; toolCalls?: { name: string; args: Record<string, string> }[] })[] = [];
beforeAll(async () => {
  server = await startRealtimeServer({
    transcribe: () => "hello",
    respond: () => ({
      ...(replies.shift()?.() ?? { text: "Fine." }),
      usage: { inputTokens: 12, outputTokens: 7 },
    }),
    wordPacingMs: 1,
  });
});
afterAll(() => server.close());

const weather = defineTool({
  name: "get_weather",
  description: "The weather in a city",
  input: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, sky: "sunny" }),
});

/** The span tree as names, children indented under their parent, in start order. */
function tree(spans: ReadableSpan[]): string[] {
  const lines: string[] = [];
  const sorted = [...spans].sort(
    (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
  );
  const visit = (parentId: string | undefined, depth: number): void => {
    for (const span of sorted) {
      if (span.parentSpanContext?.spanId !== parentId) continue;
      lines.push(`${"  ".repeat(depth)}${span.name}`);
      visit(span.spanContext().spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return lines;
}

const modes = [
  {
    name: "OpenAI Realtime",
    model: "gpt-realtime",
    genAI: "openai",
    mode: (registry: ToolRegistry) =>
      openAIRealtimeMode({
        url: server.openAIRealtimeURL,
        apiKey: "sk-realtime-trace-secret",
        model: "gpt-realtime",
        registry,
      }),
  },
  {
    name: "Gemini Live",
    model: "gemini-live-2.5-flash-preview",
    genAI: "gcp.gemini",
    mode: (registry: ToolRegistry) =>
      geminiLiveMode({
        url: server.geminiLiveURL,
        apiKey: "gemini-trace-secret",
        model: "gemini-live-2.5-flash-preview",
        registry,
      }),
  },
];

describe.each(modes)("realtime duplex session spans: $name", ({ model, genAI, mode }) => {
  it("two exchanges, the first with a tool call: chat spans with usage, the tool under its exchange", async () => {
    replies = [
      () => ({ toolCalls: [{ name: "get_weather", args: { city: "Paris" } }] }),
      () => ({ text: "It is sunny in Paris." }),
      () => ({ text: "Bye." }),
    ];
    const lines: string[] = [];
    const logger = createConsoleLogger({ level: "debug", stream: { write: (text) => lines.push(text) } });
    const session = await DuplexSession.open({
      stateStore: new MemoryStateStore(),
      mode: mode(new ToolRegistry().register(weather)),
      context: traced(true).withLogger(logger),
    });
    const reader = readResponse(session);
    await session.sendText("Weather in Paris?");
    await reader.until((chunk) => chunk.type === "turn-end");
    await session.sendText("Thanks");
    await reader.until(() => reader.chunks.filter((chunk) => chunk.type === "turn-end").length === 2);
    await session.close();
    const spans = exporter.getFinishedSpans();
    expect(tree(spans)).toEqual([
      "duplex_session",
      `  chat ${model}`,
      "    execute_tool get_weather",
      `  chat ${model}`,
    ]);
    const root = spans.find((span) => span.name === "duplex_session");
    expect(root?.attributes).toMatchObject({
      "gen_ai.conversation.id": session.id,
      "gen_ai.provider.name": genAI,
      "gen_ai.request.model": model,
      "geppetto.duplex.mode": "realtime",
    });
    const [first, second] = spans.filter((span) => span.name === `chat ${model}`);
    expect(first?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": genAI,
      "gen_ai.request.model": model,
      // Two responses (the tool call, then the answer after its result), 7 output tokens each.
      "gen_ai.usage.output_tokens": 14,
      "gen_ai.response.finish_reasons": ["stop"],
    });
    expect(String(first?.attributes["gen_ai.input.messages"])).toContain("Weather in Paris?");
    expect(String(first?.attributes["gen_ai.output.messages"])).toContain("It is sunny in Paris.");
    expect(first?.attributes["geppetto.time_to_first_token_ms"]).toBeGreaterThan(0);
    expect(first?.events.map((event) => event.name)).toEqual(["gen_ai.first_token"]);
    expect(second?.attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"]);
    const tool = spans.find((span) => span.name === "execute_tool get_weather");
    expect(tool?.attributes).toMatchObject({
      "gen_ai.tool.name": "get_weather",
      "gen_ai.tool.call.arguments": '{"city":"Paris"}',
      "gen_ai.tool.call.result": '{"city":"Paris","sky":"sunny"}',
    });
    expect(spans.every((span) => span.status.code !== SpanStatusCode.ERROR)).toBe(true);
    const turnLines = lines.filter((line) => line.includes("geppetto debug realtime turn"));
    expect(turnLines).toHaveLength(2);
    expect(turnLines[0]).toContain("finish=stop");
    expect(turnLines[0]).toContain("outputTokens=14");
    expect(JSON.stringify(spans.map((span) => span.attributes)) + lines.join("")).not.toContain("secret");
  });

  it("a dropped connection fails the open exchange and the session span, with code and fault", async () => {
    replies = [() => ({ text: Array.from({ length: 400 }, () => "more").join(" ") })];
    const session = await DuplexSession.open({
      stateStore: new MemoryStateStore(),
      mode: mode(new ToolRegistry()),
      context: traced(),
    });
    const reader = readResponse(session);
    await session.sendText("talk");
    await reader.until((chunk) => chunk.type === "text-delta" || chunk.type === "audio-delta");
    server.dropRealtimeConnections();
    await session.done;
    const spans = exporter.getFinishedSpans();
    expect(tree(spans)).toEqual(["duplex_session", `  chat ${model}`]);
    for (const span of spans) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        "error.type": "stream_interrupted",
        "geppetto.error.fault": "provider",
      });
    }
    expect(
      spans.find((span) => span.name !== "duplex_session")?.attributes["gen_ai.response.finish_reasons"],
    ).toEqual(["error"]);
  });
});

describe("VAD duplex session spans", () => {
  it("the Session's turn, iteration and inference spans nest under the duplex session span", async () => {
    const session = await DuplexSession.open({
      stateStore: new MemoryStateStore(),
      mode: vadMode({
        engine: new ScriptedEngine([[...script.text("Four.")]]),
        transcriber: openAITranscriber({ baseURL: server.baseURL, apiKey: "sk-t", model: "whisper-1" }),
      }),
      context: traced(),
    });
    const reader = readResponse(session);
    await session.sendText("What is two plus two?");
    await reader.until((chunk) => chunk.type === "turn-end");
    await session.close();
    const spans = exporter.getFinishedSpans();
    expect(tree(spans)[0]).toBe("duplex_session");
    expect(tree(spans)).toContain("  session_turn");
    expect(spans.find((span) => span.name === "duplex_session")?.attributes["geppetto.duplex.mode"]).toBe(
      "vad",
    );
    const turn = spans.find((span) => span.name === "session_turn");
    expect(turn?.attributes["gen_ai.conversation.id"]).toBe(session.id);
  });
});
