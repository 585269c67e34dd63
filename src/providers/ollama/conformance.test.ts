/**
 * Wire conformance: every recorded Ollama file is replayed over real HTTP by the local provider server and the
 * engine's result is checked against the manifest's expected result.
 */
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../engine/errors.ts";
import { RunContext } from "../../events/context.ts";
import { assistantText, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { fixturePath, replay, serverOptions, setupLocalServer } from "../test-support.ts";
import { KeyOllamaCallId, KeyOllamaTimings } from "./descriptor.ts";
import { createOllamaEngine, type OllamaEngineOptions } from "./engine.ts";

const server = setupLocalServer();
const fixture = (name: string) => fixturePath("ollama", name);

function engine(options: Partial<OllamaEngineOptions> = {}) {
  return createOllamaEngine({
    model: "gemma3:1b",
    ...serverOptions(server, "ollama"),
    env: {},
    ...options,
  });
}

function replayFixture(name: string, options: Partial<OllamaEngineOptions> = {}) {
  return replay(
    engine(options),
    server,
    { fixture: fixture(name) },
    newTurn([newUserTextBlock("Count from 1 to 5")]),
  );
}

describe("Ollama conformance (recorded streams over HTTP)", () => {
  it("chat-stream.jsonl and chat-stream.httprr.txt", async () => {
    for (const name of ["chat-stream.jsonl", "chat-stream.httprr.txt"]) {
      const { turn, result, sink } = await replayFixture(name);
      expect(assistantText(turn)).toBe("Okay, here we go!\n\n1, 2, 3, 4, 5\n");
      expect(result).toMatchObject({
        provider: "ollama",
        model: "gemma3:1b",
        stopReason: "stop",
        finishClass: "completed",
        truncated: false,
        usage: { inputTokens: 16, outputTokens: 22, totalTokens: 38 },
      });
      expect(KeyOllamaTimings.get(turn)).toMatchObject({
        totalMs: 171.946792,
        loadMs: 38.47325,
        promptEvalMs: 27.60825,
        evalMs: 105.611917,
      });
      expect(sink.ofType("partial").length).toBeGreaterThan(10);
      const request = server.requests.at(-1)!;
      expect(request.path).toBe("/api/chat");
      expect(request.headers.authorization).toBeUndefined();
      expect(request.body).toEqual({
        model: "gemma3:1b",
        messages: [{ role: "user", content: "Count from 1 to 5" }],
        stream: true,
      });
    }
  });

  it("chat-stream-length.jsonl and .httprr.txt: done_reason=length is truncated, non-ASCII kept", async () => {
    for (const name of ["chat-stream-length.jsonl", "chat-stream-length.httprr.txt"]) {
      const { turn, result } = await replayFixture(name);
      const text = assistantText(turn);
      expect(text.startsWith("Hello there! I’m doing well, thanks for asking.")).toBe(true);
      expect(text.endsWith("ready to help you with whatever you need. 😊 ")).toBe(true);
      expect(result).toMatchObject({
        stopReason: "length",
        finishClass: "max_tokens",
        truncated: true,
        usage: { inputTokens: 15, outputTokens: 50 },
      });
    }
  });

  it("cloud-stream-thinking.jsonl and .httprr.txt: thinking deltas, then content", async () => {
    for (const name of ["cloud-stream-thinking.jsonl", "cloud-stream-thinking.httprr.txt"]) {
      const { turn, result, reasoning, sink } = await replayFixture(name, { model: "gpt-oss:120b" });
      expect(reasoning).toHaveLength(1);
      expect(reasoning[0]!.text).toBe(
        'User asks: "Count from 1 to 5". Simple. Respond with numbers: 1 2 3 4 5. Possibly each on separate line. Provide answer.',
      );
      expect(assistantText(turn)).toBe("1  \n2  \n3  \n4  \n5");
      expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "reasoning", "llm_text"]);
      expect(sink.ofType("partial-thinking").length).toBeGreaterThan(5);
      expect(result).toMatchObject({
        model: "gpt-oss:120b",
        stopReason: "stop",
        finishClass: "completed",
        usage: { inputTokens: 74, outputTokens: 57 },
      });
    }
  });

  it("cloud-tool-call-thinking.json (stream:false): thinking and a tool call with its id", async () => {
    const {
      callBlocks: calls,
      reasoning,
      result,
      sink,
    } = await replayFixture("cloud-tool-call-thinking.json", {
      model: "gpt-oss:120b",
      stream: false,
    });
    expect(reasoning[0]!.text).toBe("User asks about weather in San Francisco. Use function getWeather.");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.payload).toEqual({
      id: "call_mo1wm122",
      name: "getWeather",
      args: { location: "San Francisco, CA" },
    });
    expect(KeyOllamaCallId.get(calls[0]!)).toBe("call_mo1wm122");
    expect(sink.ofType("tool-call")).toHaveLength(1);
    expect(result).toMatchObject({
      stopReason: "stop",
      finishClass: "tool_calls_pending",
      usage: { inputTokens: 145, outputTokens: 44 },
    });
    expect(server.requests[0]!.body).toMatchObject({ stream: false });
  });

  it("error-tools-unsupported.json and .httprr.txt: an {error} body is a ProviderError", async () => {
    for (const name of ["error-tools-unsupported.json", "error-tools-unsupported.httprr.txt"]) {
      server.respond({ fixture: fixture(name) });
      const error = (await engine({ stream: false })
        .runInference(newTurn([newUserTextBlock("Which date do we have today?")]), RunContext.background())
        .catch((caught: unknown) => caught)) as ProviderError;
      expect(error).toBeInstanceOf(ProviderError);
      expect(error.status).toBe(400);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain("registry.ollama.ai/library/gemma3:1b does not support tools");
    }
  });
});
