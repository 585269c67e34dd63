import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../engine/engine.ts";
import { CollectingSink, RunContext } from "../events/context.ts";
import { createOpenAIChatEngine } from "../providers/openai/index.ts";
import { createOpenAIResponsesEngine } from "../providers/openai-responses/index.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { runToolLoop } from "../toolloop/loop.ts";
import { demoToolRegistry } from "../tools/demo.ts";
import { newReasoningBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { createConsoleLogger, type LogLevel, type LogThreshold, parseLogLevel, pinoLogger } from "./index.ts";
import { createRecordingTap, withRecording } from "./recorder.ts";

const CANARY = "sk-canary-logging-0123456789abcdef";
const server = setupLocalServer();

function captured(level: LogThreshold, unredacted = false) {
  const lines: string[] = [];
  const logger = createConsoleLogger({
    level,
    unredacted,
    stream: { write: (text: string) => lines.push(text) },
  });
  return { logger, text: () => lines.join("") };
}

const reasoningTurn = () =>
  newTurn([
    newUserTextBlock("What is 2 + 2?"),
    newReasoningBlock({
      itemId: "rs_item_secret_id",
      encryptedContent: "gAAAAencrypted-blob",
      summary: ["thinking"],
    }),
    newUserTextBlock("And 3 + 3?"),
  ]);

describe("request logging", () => {
  it("writes nothing by default", async () => {
    const engine = createOpenAIChatEngine({
      model: "gpt-4o-mini",
      apiKey: CANARY,
      baseURL: server.baseURL("openai-chat"),
    });
    expect(RunContext.background().logger.level).toBe("silent");
    const out = await engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background());
    expect(KeyInferenceResult.get(out)?.finishClass).toBe("completed");
  });

  it("at debug: one line per request (no body, no key) and one per response", async () => {
    server.respond({
      script: { text: "four", usage: { inputTokens: 12, outputTokens: 3 } },
      headers: { "x-request-id": "req_42" },
    });
    const { logger, text } = captured("debug");
    const engine = createOpenAIResponsesEngine({
      model: "o4-mini",
      apiKey: CANARY,
      baseURL: server.baseURL("openai-responses"),
    });
    await engine.runInference(reasoningTurn(), RunContext.background().withLogger(logger));
    const lines = text().trimEnd().split("\n");
    const request = lines.find((line) => line.startsWith("geppetto debug request "));
    expect(request).toContain("provider=openai-responses");
    expect(request).toContain("model=o4-mini");
    expect(request).toContain(`url=${server.baseURL("openai-responses")}/responses`);
    expect(request).toMatch(/items=user:1,reasoning:1,user:1|items=user:2,reasoning:1/);
    expect(request).toContain("reasoningSummaries=1");
    const response = lines.find((line) => line.startsWith("geppetto debug response provider"));
    expect(response).toContain("status=200");
    expect(response).toContain("requestId=req_42");
    expect(response).toContain("finish=completed");
    expect(response).toContain("outputTokens=3");
    expect(text()).not.toContain("What is 2 + 2");
    expect(text()).not.toContain("rs_item_secret_id");
  });

  it("at trace: the request body as YAML with provider ids and encrypted reasoning redacted", async () => {
    const { logger, text } = captured("trace");
    const engine = createOpenAIResponsesEngine({
      model: "o4-mini",
      apiKey: CANARY,
      baseURL: server.baseURL("openai-responses"),
    });
    await engine.runInference(reasoningTurn(), RunContext.background().withLogger(logger));
    expect(text()).toContain("geppetto trace request body");
    expect(text()).toContain("What is 2 + 2?");
    expect(text()).toContain('encrypted_content: "[redacted 19 chars]"');
    expect(text()).toContain('id: "[id 1]"');
    expect(text()).not.toContain("rs_item_secret_id");
    expect(text()).not.toContain("gAAAAencrypted-blob");
  });

  it("--log-unredacted keeps ids and encrypted reasoning", async () => {
    const { logger, text } = captured("trace", true);
    const engine = createOpenAIResponsesEngine({
      model: "o4-mini",
      apiKey: CANARY,
      baseURL: server.baseURL("openai-responses"),
    });
    await engine.runInference(reasoningTurn(), RunContext.background().withLogger(logger));
    expect(text()).toContain("rs_item_secret_id");
    expect(text()).toContain("gAAAAencrypted-blob");
  });

  it.each(["error", "warn", "info", "debug", "trace"] satisfies LogLevel[])(
    "the API key never appears at %s, redacted or not, even when the server echoes it",
    async (level) => {
      for (const unredacted of [false, true]) {
        server.enqueue({
          error: {
            status: 429,
            body: { error: { message: `rate limited for ${CANARY}` } },
            headers: { "retry-after-ms": "1" },
          },
        });
        const { logger, text } = captured(level, unredacted);
        const engine = createOpenAIChatEngine({
          model: "gpt-4o-mini",
          apiKey: CANARY,
          baseURL: server.baseURL("openai-chat"),
          headers: { "x-api-key": CANARY },
        });
        const sink = new CollectingSink();
        await engine.runInference(
          newTurn([newUserTextBlock(`say ${CANARY.slice(0, 6)}`)]),
          RunContext.background().withLogger(logger).withSinks(sink),
        );
        if (level === "trace") expect(text()).toContain("request body");
        expect(text()).not.toContain(CANARY);
        expect(JSON.stringify(sink.events)).not.toContain(CANARY);
      }
    },
  );

  it("parses level names and names a bad one", () => {
    expect(parseLogLevel("DEBUG")).toBe("debug");
    expect(parseLogLevel("off")).toBe("silent");
    expect(() => parseLogLevel("loud", "GEPPETTO_LOG")).toThrow(/GEPPETTO_LOG: unknown log level "loud"/);
    expect(() => parseLogLevel("loud")).toThrow(
      expect.objectContaining({ name: "CallerError", code: "invalid_settings" }),
    );
  });

  it("pinoLogger forwards fields and message, following the pino logger's level", async () => {
    const calls: [string, object, string][] = [];
    const method = (level: string) => (fields: object, message: string) =>
      void calls.push([level, fields, message]);
    const pino = {
      level: "info",
      error: method("error"),
      warn: method("warn"),
      info: method("info"),
      debug: method("debug"),
      trace: method("trace"),
    };
    const logger = pinoLogger(pino);
    const engine = createOpenAIChatEngine({
      model: "gpt-4o-mini",
      apiKey: CANARY,
      baseURL: server.baseURL("openai-chat"),
    });
    await engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background().withLogger(logger));
    expect(calls).toEqual([]);
    pino.level = "debug";
    await engine.runInference(newTurn([newUserTextBlock("hi")]), RunContext.background().withLogger(logger));
    expect(calls.map(([level, , message]) => `${level} ${message}`)).toEqual([
      "debug request",
      "debug http response",
      "debug response",
    ]);
    expect(calls[0]?.[1]).toMatchObject({ provider: "openai", model: "gpt-4o-mini", items: "user:1" });
  });

  it("JSON lines carry the level, message and fields", () => {
    const lines: string[] = [];
    const logger = createConsoleLogger({
      level: "info",
      format: "json",
      now: () => new Date(0),
      stream: { write: (text: string) => lines.push(text) },
    });
    logger.log("info", "hello", { count: 2 });
    logger.log("debug", "hidden");
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { time: "1970-01-01T00:00:00.000Z", level: "info", message: "hello", count: 2 },
    ]);
  });
});

describe("status events", () => {
  it("a retried 429 publishes a status event with the attempt, the wait and the rate-limit headers", async () => {
    server.enqueue({
      error: {
        status: 429,
        body: { error: { message: "slow down" } },
        headers: { "retry-after-ms": "5", "x-ratelimit-remaining-requests": "0" },
      },
    });
    const engine = createOpenAIChatEngine({
      model: "gpt-4o-mini",
      apiKey: CANARY,
      baseURL: server.baseURL("openai-chat"),
    });
    const sink = new CollectingSink();
    const out = await engine.runInference(
      newTurn([newUserTextBlock("hi")]),
      RunContext.background().withSinks(sink),
    );
    expect(KeyInferenceResult.get(out)?.finishClass).toBe("completed");
    const [status, ...more] = sink.ofType("status");
    expect(more).toEqual([]);
    expect(status?.text).toBe("openai: HTTP 429; retrying in 0.0 s (attempt 2 of 3)");
    expect(status?.meta.extra).toEqual({
      retry: { attempt: 2, maxAttempts: 3, delayMs: 5, reason: "HTTP 429", status: 429 },
      rateLimit: { "retry-after-ms": "5", "x-ratelimit-remaining-requests": "0" },
    });
    expect(status?.meta.model).toBe("gpt-4o-mini");
    const types = sink.events.map((event) => event.type);
    expect(types.indexOf("status")).toBeGreaterThan(types.indexOf("start"));
  });
});

describe("the recorder", () => {
  const folder = mkdtempSync(join(tmpdir(), "geppetto-recorder-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("numbers ids alike across a tool loop's exchanges, so a tool result still names its call", async () => {
    server.enqueue({
      script: { toolCalls: [{ id: "call_secret_1", name: "calculator", arguments: { expression: "1+1" } }] },
    });
    server.respond({ script: { text: "2" } });
    const path = join(folder, "loop.sse");
    const engine = createOpenAIChatEngine({
      model: "gpt-4o-mini",
      apiKey: CANARY,
      baseURL: server.baseURL("openai-chat"),
    });
    await runToolLoop(
      newTurn([newUserTextBlock("1+1?")]),
      withRecording(RunContext.background(), createRecordingTap(path)),
      {
        engine,
        registry: demoToolRegistry(),
      },
    );
    const firstResponse = readFileSync(path, "utf8");
    const secondRequest = readFileSync(join(folder, "loop.2.request.json"), "utf8");
    const callId = /"tool_calls":\[\{"index":0,"id":"(\[id \d+\])"/.exec(firstResponse)?.[1];
    expect(callId).toBeDefined();
    expect(secondRequest).toContain(`"tool_call_id": "${callId}"`);
    expect(firstResponse + secondRequest).not.toContain("call_secret_1");
  });

  it("records each exchange as a fixture the local server replays to the same answer", async () => {
    server.respond({ script: { text: "recorded answer" } });
    const path = join(folder, "report.sse");
    const recorder = createRecordingTap(path);
    const engine = createOpenAIResponsesEngine({
      model: "o4-mini",
      apiKey: CANARY,
      baseURL: server.baseURL("openai-responses"),
      tap: recorder,
    });
    await engine.runInference(reasoningTurn(), RunContext.background());
    expect(recorder.files).toEqual([path, join(folder, "report.request.json")]);
    const request = readFileSync(join(folder, "report.request.json"), "utf8");
    expect(request).not.toContain(CANARY);
    expect(request).not.toContain("rs_item_secret_id");
    expect(request).toContain("[redacted]");
    const body = readFileSync(path, "utf8");
    expect(body).toMatch(/^data: \{.*"id":"\[id \d+\]"/m);
    expect(body).toContain("recorded");

    server.respond({ fixture: path });
    const replayed = await createOpenAIResponsesEngine({
      model: "o4-mini",
      apiKey: "k",
      baseURL: server.baseURL("openai-responses"),
    }).runInference(newTurn([newUserTextBlock("again")]), RunContext.background());
    expect(replayed.blocks.at(-1)?.payload).toMatchObject({ text: "recorded answer" });
  });
});
