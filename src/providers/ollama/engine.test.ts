/**
 * The Ollama engine over real HTTP: a recorded tool call survives YAML and continues; scripted answers; error
 * lines mid-stream; cancellation; base URL from OLLAMA_HOST.
 */
import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { ProviderError } from "../../engine/errors.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import {
  appendBlock,
  assistantText,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../../turns/builders.ts";
import { turnFromYaml, turnToYaml } from "../../turns/serialization.ts";
import { cancelAtFirstText, fixturePath, replay, serverOptions, setupLocalServer } from "../test-support.ts";
import { OllamaEngine, type OllamaEngineOptions, ollamaBaseURL } from "./engine.ts";
import type { OllamaChatRequest } from "./wire.ts";

const server = setupLocalServer();
const fixture = (name: string) => fixturePath("ollama", name);

function engine(options: Partial<OllamaEngineOptions> = {}) {
  return new OllamaEngine({
    model: "gpt-oss:120b",
    ...serverOptions(server, "ollama"),
    env: {},
    ...options,
  });
}

const ctx = () => RunContext.background();

describe("Ollama round trip", () => {
  it("continues a saved Turn with the thinking, the tool call and its result", async () => {
    server.respond({ fixture: fixture("cloud-tool-call-thinking.json") });
    let turn = await engine({ stream: false }).runInference(
      newTurn([newUserTextBlock("Weather in SF?")]),
      ctx(),
    );
    const [call] = pendingToolCalls(turn);
    turn = appendBlock(turn, newToolUseBlock(call!.payload.id, { forecast: "fog" }));
    const loaded = turnFromYaml(turnToYaml(turn));
    expect(loaded).toEqual(turn);
    server.respond({ fixture: fixture("cloud-stream-thinking.jsonl") });
    await engine().runInference(loaded, ctx());
    const body = server.requests.at(-1)!.body as OllamaChatRequest;
    expect(body.messages).toEqual([
      { role: "user", content: "Weather in SF?" },
      {
        role: "assistant",
        content: "",
        thinking: "User asks about weather in San Francisco. Use function getWeather.",
        tool_calls: [
          {
            id: "call_mo1wm122",
            function: { name: "getWeather", arguments: { location: "San Francisco, CA" } },
          },
        ],
      },
      { role: "tool", content: '{"forecast":"fog"}', tool_name: "getWeather" },
    ]);
  });
});

describe("Ollama engine", () => {
  it("streams a scripted answer with thinking and tool calls, generating ids for calls without one", async () => {
    const script = {
      reasoning: "Think first.",
      text: "Sure thing.",
      toolCalls: [{ name: "get_time", arguments: {} }],
    };
    const { turn, sink } = await replay(engine(), server, { script }, newTurn([newUserTextBlock("time?")]));
    expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "reasoning", "llm_text", "tool_call"]);
    const [call] = pendingToolCalls(turn);
    expect(call!.payload.id).toMatch(/^ollama_[0-9a-f]{8}_0$/);
    expect(KeyInferenceResult.get(turn)).toMatchObject({
      finishClass: "tool_calls_pending",
      stopReason: "stop",
    });
    expect(sink.ofType("partial").map((event) => event.delta)).toEqual(["Sure ", "thing."]);
  });

  it("an error line mid-stream becomes an error event and keeps the partial text", async () => {
    const line = (content: string) =>
      `${JSON.stringify({ model: "m", message: { role: "assistant", content }, done: false })}\n`;
    server.respond({
      error: {
        status: 200,
        headers: { "content-type": "application/x-ndjson" },
        body: `${line("Half ")}${JSON.stringify({ error: "model runner crashed" })}\n`,
      },
    });
    const sink = new CollectingSink();
    const failure = (await engine()
      .runInference(newTurn([newUserTextBlock("hi")]), ctx().withSinks(sink))
      .catch((caught: unknown) => caught)) as ProviderError;
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure.message).toContain("model runner crashed");
    expect(assistantText(failure.turn!)).toBe("Half ");
    expect(sink.ofType("error")).toHaveLength(1);
  });

  it("cancellation mid-stream resolves with the partial text", async () => {
    server.respond({ script: { text: "one two three four" }, pacingMs: 5 });
    const turn = await engine().runInference(newTurn([newUserTextBlock("count")]), cancelAtFirstText());
    expect(KeyInferenceResult.get(turn)).toMatchObject({ finishClass: "interrupted", truncated: true });
    expect(assistantText(turn)).toBe("one ");
  });

  it("sends a key only when given, as a bearer token", async () => {
    server.respond({ script: { text: "ok" } });
    await engine({ env: { OLLAMA_API_KEY: "ollama-secret-key" } }).runInference(
      newTurn([newUserTextBlock("hi")]),
      ctx(),
    );
    expect(server.requests[0]!.headers.authorization).toBe("Bearer ollama-secret-key");
  });

  it("reads the base URL from OLLAMA_HOST like Ollama does", () => {
    expect(ollamaBaseURL(undefined)).toBe("http://127.0.0.1:11434");
    expect(ollamaBaseURL("0.0.0.0")).toBe("http://0.0.0.0:11434");
    expect(ollamaBaseURL("myhost:8080")).toBe("http://myhost:8080");
    expect(ollamaBaseURL("https://ollama.com")).toBe("https://ollama.com");
  });
});
