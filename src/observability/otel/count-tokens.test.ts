/**
 * The `count_tokens {model}` span of a token count, and its debug lines, over real HTTP against the local
 * provider server's counting endpoints, with OpenTelemetry's in-memory span exporter.
 */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { RunContext } from "../../events/context.ts";
import { createClaudeEngine } from "../../providers/anthropic/index.ts";
import { createGeminiEngine } from "../../providers/gemini/index.ts";
import { createOpenAIResponsesEngine } from "../../providers/openai-responses/index.ts";
import { setupLocalServer } from "../../providers/test-support.ts";
import { localTokenCount } from "../../testing/provider-server/count-tokens.ts";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { createConsoleLogger } from "../logger.ts";
import { openTelemetryTracer } from "./index.ts";

const KEY = "sk-count-tokens-canary-0123456789";
const server = setupLocalServer();
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
afterEach(() => exporter.reset());
const traced = () =>
  RunContext.background().withTracer(openTelemetryTracer({ tracer: provider.getTracer("test") }));
const common = (protocol: string) => ({
  apiKey: KEY,
  baseURL: server.baseURL(protocol),
  env: {},
  client: { maxRetries: 0 },
});
const turn = () => newTurn([newUserTextBlock("How many tokens is this?")]);

describe("token count spans", () => {
  it.each([
    [
      "anthropic",
      () => createClaudeEngine({ model: "claude-sonnet-4-5", ...common("anthropic") }),
      "anthropic",
    ],
    ["gemini", () => createGeminiEngine({ model: "gemini-2.5-flash", ...common("gemini") }), "gcp.gemini"],
    [
      "openai-responses",
      () => createOpenAIResponsesEngine({ model: "gpt-5-mini", ...common("openai-responses") }),
      "openai",
    ],
  ])("%s: one count_tokens span with the provider, model and count", async (_name, make, genAIName) => {
    const engine = make();
    const count = await engine.countTokens(turn(), traced());
    expect(count).toBe(localTokenCount(server.requests.at(-1)?.body));
    const [span, ...more] = exporter.getFinishedSpans();
    expect(more).toEqual([]);
    expect(span?.name).toMatch(/^count_tokens (claude-sonnet-4-5|gemini-2.5-flash|gpt-5-mini)$/);
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toMatchObject({
      "gen_ai.operation.name": "count_tokens",
      "gen_ai.provider.name": genAIName,
      "gen_ai.usage.input_tokens": count,
      "http.response.status_code": 200,
    });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("a refused count records its error with code and fault, and logs it without the key", async () => {
    server.enqueue({ error: { status: 401, body: { error: { message: `bad key ${KEY}` } } } });
    const lines: string[] = [];
    const logger = createConsoleLogger({ level: "trace", stream: { write: (text) => lines.push(text) } });
    const engine = createClaudeEngine({ model: "claude-sonnet-4-5", ...common("anthropic") });
    await expect(engine.countTokens(turn(), traced().withLogger(logger))).rejects.toThrow(/401/);
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes).toMatchObject({
      "error.type": "authentication_failed",
      "geppetto.error.fault": "provider",
      "http.response.status_code": 401,
    });
    const text = lines.join("");
    expect(text).toContain("geppetto debug request provider=anthropic");
    expect(text).toContain("geppetto trace request body");
    expect(text).toMatch(
      /geppetto warn token count provider=anthropic .*status=401 .*error=authentication_failed/,
    );
    expect(text + JSON.stringify(span?.events)).not.toContain(KEY);
  });

  it("at debug without a tracer: the request, response and count lines", async () => {
    const lines: string[] = [];
    const logger = createConsoleLogger({ level: "debug", stream: { write: (text) => lines.push(text) } });
    const engine = createGeminiEngine({ model: "gemini-2.5-flash", ...common("gemini") });
    const count = await engine.countTokens(turn(), RunContext.background().withLogger(logger));
    const text = lines.join("");
    expect(text).toContain("geppetto debug request provider=gemini");
    expect(text).toContain("geppetto debug http response provider=gemini status=200");
    expect(text).toMatch(
      new RegExp(
        `geppetto debug token count provider=gemini model=gemini-2.5-flash inputTokens=${count} status=200`,
      ),
    );
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
