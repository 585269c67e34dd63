import { SpanStatusCode } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { RunContext } from "../../events/context.ts";
import { createOpenAIChatEngine } from "../../providers/openai/index.ts";
import { cancelAtFirstText, setupLocalServer } from "../../providers/test-support.ts";
import { EngineBuilder } from "../../session/engine-builder.ts";
import { Session } from "../../session/session.ts";
import { demoToolRegistry } from "../../tools/demo.ts";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { openTelemetryTracer } from "./index.ts";

const server = setupLocalServer();
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
afterEach(() => exporter.reset());

function tracedContext(captureContent = false): RunContext {
  return RunContext.background().withTracer(
    openTelemetryTracer({ tracer: provider.getTracer("test"), captureContent }),
  );
}

const engine = () =>
  createOpenAIChatEngine({
    model: "gpt-4o-mini",
    apiKey: "sk-otel-test-key-0123456789",
    baseURL: server.baseURL("openai-chat"),
    client: { maxRetries: 0 },
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

describe("OpenTelemetry spans", () => {
  it("a session turn of a two-step tool loop: iterations, inferences and the tool call, nested", async () => {
    server.enqueue(
      {
        script: {
          toolCalls: [{ id: "call_1", name: "calculator", arguments: { expression: "6*7" } }],
          usage: { inputTokens: 20, outputTokens: 5 },
        },
      },
      { script: { text: "It is 42.", usage: { inputTokens: 30, outputTokens: 4 } } },
    );
    const builder = new EngineBuilder().withBase(engine()).withToolRegistry(demoToolRegistry());
    const session = new Session({ id: "s-otel", runner: builder });
    session.appendNewTurnFromUserPrompt("What is 6 * 7?");
    await session.startInference({ context: tracedContext(true) }).wait();
    const spans = exporter.getFinishedSpans();
    expect(tree(spans)).toEqual([
      "session_turn",
      "  tool_loop_iteration 1",
      "    chat gpt-4o-mini",
      "    execute_tool calculator",
      "  tool_loop_iteration 2",
      "    chat gpt-4o-mini",
    ]);
    const [firstChat, secondChat] = spans.filter((span) => span.name === "chat gpt-4o-mini");
    expect(firstChat?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 20,
      "gen_ai.usage.output_tokens": 5,
      "gen_ai.response.finish_reasons": ["tool_calls"],
    });
    expect(secondChat?.attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"]);
    expect(secondChat?.attributes["geppetto.time_to_first_token_ms"]).toBeGreaterThan(0);
    expect(secondChat?.attributes["geppetto.output_tokens_per_second"]).toBeGreaterThan(0);
    expect(secondChat?.events.map((event) => event.name)).toEqual(["gen_ai.first_token"]);
    expect(String(secondChat?.attributes["gen_ai.output.messages"])).toContain("It is 42.");
    const tool = spans.find((span) => span.name === "execute_tool calculator");
    expect(tool?.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "calculator",
      "gen_ai.tool.call.id": "call_1",
      "gen_ai.tool.call.arguments": '{"expression":"6*7"}',
      "gen_ai.tool.call.result": '{"expression":"6*7","result":42}',
    });
    expect(spans.find((span) => span.name === "session_turn")?.attributes["gen_ai.conversation.id"]).toBe(
      "s-otel",
    );
    expect(spans.every((span) => span.status.code !== SpanStatusCode.ERROR)).toBe(true);
  });

  it("records no content unless asked", async () => {
    server.respond({ script: { text: "private answer" } });
    await engine().runInference(newTurn([newUserTextBlock("private question")]), tracedContext());
    const [span] = exporter.getFinishedSpans();
    expect(JSON.stringify(span?.attributes)).not.toContain("private");
  });

  it("a cancelled inference ends its span as interrupted, not failed", async () => {
    server.respond({ script: { text: "one two three four five six" }, pacingMs: 5 });
    await engine().runInference(newTurn([newUserTextBlock("count")]), cancelAtFirstText(tracedContext()));
    const [span, ...more] = exporter.getFinishedSpans();
    expect(more).toEqual([]);
    expect(span?.attributes["geppetto.finish_class"]).toBe("interrupted");
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("a failed inference records its error with code and fault", async () => {
    server.enqueue({
      error: { status: 401, body: { error: { message: "bad key", type: "invalid_request_error" } } },
    });
    await expect(engine().runInference(newTurn([newUserTextBlock("hi")]), tracedContext())).rejects.toThrow(
      /401/,
    );
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes).toMatchObject({
      "error.type": "authentication_failed",
      "geppetto.error.fault": "provider",
      "http.response.status_code": 401,
    });
    expect(span?.events.map((event) => event.name)).toContain("exception");
    expect(JSON.stringify([span?.attributes, span?.events, span?.status])).not.toContain("sk-otel-test-key");
  });
});
