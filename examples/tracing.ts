// Tracing to the console exporter: OpenTelemetry spans for a tool loop (iterations, inferences with token usage
// and time to first token, the tool call), printed by the SDK's ConsoleSpanExporter; plus geppetto's debug log
// lines on stderr. Needs `@opentelemetry/api` and `@opentelemetry/sdk-trace-base` installed.
// Run it: npm run build && npx node examples/tracing.ts
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { newTurn, newUserTextBlock, RunContext } from "geppetto";
import { createConsoleLogger } from "geppetto/observability";
import { openTelemetryTracer } from "geppetto/otel";
import { createOpenAIChatEngine } from "geppetto/providers/openai";
import { startProviderServer } from "geppetto/testing";
import { ToolLoopEngine } from "geppetto/toolloop";
import { calculatorTool, ToolRegistry } from "geppetto/tools";

const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
const server = await startProviderServer({
  queue: [
    { script: { toolCalls: [{ id: "call_1", name: "calculator", arguments: { expression: "6*7" } }] } },
  ],
  response: { script: { text: "6 * 7 is 42.", usage: { inputTokens: 25, outputTokens: 6 } } },
});
try {
  const base = createOpenAIChatEngine({
    model: "gpt-4o-mini",
    apiKey: "not-needed",
    baseURL: server.baseURL("openai-chat"),
  });
  const engine = new ToolLoopEngine({ engine: base, registry: new ToolRegistry([calculatorTool]) });
  const ctx = RunContext.background()
    .withTracer(openTelemetryTracer({ tracer: provider.getTracer("example"), captureContent: false }))
    .withLogger(createConsoleLogger({ level: "debug" }));
  await engine.runInference(newTurn([newUserTextBlock("What is 6 * 7?")]), ctx);
} finally {
  await provider.shutdown();
  await server.close();
}
