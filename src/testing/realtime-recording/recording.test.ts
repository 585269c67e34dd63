/**
 * Record and replay over real WebSockets on 127.0.0.1: a duplex session runs through the recording proxy against
 * the scripted local realtime server; the recording (with no API key in it) is then replayed to the same session
 * code, which must end with the same Turn. Both protocols.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { pcm16Silence, pcm16Tone } from "../../sessions/duplex/audio.ts";
import { DuplexSession } from "../../sessions/duplex/duplex-session.ts";
import { geminiLiveMode } from "../../sessions/duplex/gemini-live.ts";
import { openAIRealtimeMode } from "../../sessions/duplex/openai-realtime.ts";
import { readResponse } from "../../sessions/duplex/test-support.ts";
import { MemoryStateStore } from "../../sessions/state-store.ts";
import { defineTool } from "../../tools/define-tool.ts";
import { ToolRegistry } from "../../tools/registry.ts";
import type { Turn } from "../../turns/types.ts";
import { type RealtimeServer, startRealtimeServer } from "../realtime/index.ts";
import { messageType, parseRecording } from "./format.ts";
import { startRecordingProxy } from "./proxy.ts";
import { startReplayServer } from "./replay.ts";

const CANARY = "sk-canary-5f0c1e2a9b7d4e31";
let scripted: RealtimeServer;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "geppetto-recording-"));
  scripted = await startRealtimeServer({
    transcribe: () => "what is the weather in Oslo",
    respond: (input) =>
      input.userText === "Weather in Paris?"
        ? { toolCalls: [{ name: "get_weather", args: { city: "Paris" } }] }
        : input.toolResults.length > 0
          ? { text: "It is sunny in Paris.", usage: { inputTokens: 30, outputTokens: 6 } }
          : { text: `You asked: ${input.userText}.`, usage: { inputTokens: 20, outputTokens: 5 } },
  });
});
afterAll(async () => {
  await scripted.close();
  await rm(directory, { recursive: true, force: true });
});

const weather = defineTool({
  name: "get_weather",
  description: "The weather in a city",
  input: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, sky: "sunny" }),
});

const protocols = [
  {
    name: "OpenAI Realtime",
    rate: 24_000,
    model: "gpt-realtime",
    mode: (url: string, apiKey?: string) =>
      openAIRealtimeMode({
        url,
        model: "gpt-realtime",
        registry: new ToolRegistry().register(weather),
        ...(apiKey ? { apiKey } : {}),
      }),
    url: (server: { openAIRealtimeURL: string }) => server.openAIRealtimeURL,
    environment: { OPENAI_API_KEY: CANARY },
  },
  {
    name: "Gemini Live",
    rate: 16_000,
    model: "gemini-live-2.5-flash-preview",
    mode: (url: string, apiKey?: string) =>
      geminiLiveMode({
        url,
        model: "gemini-live-2.5-flash-preview",
        registry: new ToolRegistry().register(weather),
        ...(apiKey ? { apiKey } : {}),
      }),
    url: (server: { geminiLiveURL: string }) => server.geminiLiveURL,
    environment: { GEMINI_API_KEY: CANARY },
  },
];

/** A text turn with a tool call, then a spoken turn; returns the saved Turn and the response chunk types. */
async function converse(mode: ReturnType<(typeof protocols)[number]["mode"]>, rate: number) {
  const store = new MemoryStateStore();
  const session = await DuplexSession.open({
    stateStore: store,
    systemPrompt: "You are a weather bot.",
    mode,
  });
  const reader = readResponse(session);
  await session.sendText("Weather in Paris?");
  await reader.until((chunk) => chunk.type === "turn-end");
  const turns = reader.chunks.length;
  for (const part of [
    pcm16Tone({ sampleRate: rate, durationMs: 300 }),
    pcm16Silence({ sampleRate: rate, durationMs: 400 }),
  ])
    await session.sendAudio(part, { encoding: "pcm16", sampleRate: rate });
  await reader.until((chunk) => chunk.type === "turn-end", turns);
  await session.saved();
  const turn = (await store.load(session.id))!.turn;
  const messages = await session.messages();
  await session.close();
  await reader.ended;
  return { turn, messages, types: reader.chunks.map((chunk) => chunk.type) };
}

const comparable = (turn: Turn) =>
  turn.blocks.map((block) => ({ kind: block.kind, role: block.role, payload: block.payload }));

for (const protocol of protocols) {
  describe(`realtime recording and replay: ${protocol.name}`, () => {
    it("records a session through the proxy without the API key, and replays it to the same Turn", async () => {
      const file = join(directory, `${protocol.rate}.realtime.jsonl`);
      const proxy = await startRecordingProxy({
        upstream: scripted.url.replace(/^http/, "ws"),
        file,
        environment: protocol.environment,
      });
      // The client's own (placeholder) key is dropped; the proxy adds the one of its environment.
      const recorded = await converse(
        protocol.mode(protocol.url(proxy), "client-placeholder-key"),
        protocol.rate,
      );
      await proxy.close();
      expect(proxy.files).toEqual([file]);

      const text = await readFile(file, "utf8");
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain("client-placeholder-key");
      const recording = parseRecording(text, file);
      expect(recording.header).toMatchObject({
        protocol: protocol.rate === 24_000 ? "openai-realtime" : "gemini-live",
        model: protocol.model,
        source: expect.stringContaining("127.0.0.1"),
      });
      expect(Object.values(recording.header.headers ?? {})).toContain("[redacted]");
      expect(recording.messages[0]?.direction).toBe("client");
      const directions = new Set(recording.messages.map((message) => message.direction));
      expect(directions).toEqual(new Set(["client", "server"]));
      const times = recording.messages.map((message) => message.timeMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(recording.messages.map(messageType)).toContain(
        protocol.rate === 24_000 ? "input_audio_buffer.append" : "realtimeInput",
      );

      const replay = await startReplayServer({ recording: file });
      try {
        const replayed = await converse(protocol.mode(protocol.url(replay)), protocol.rate);
        expect(replay.divergences).toEqual([]);
        expect(replay.completed).toBe(1);
        expect(comparable(replayed.turn)).toEqual(comparable(recorded.turn));
        expect(replayed.messages).toEqual(recorded.messages);
        expect(replayed.types).toEqual(recorded.types);
        expect(comparable(recorded.turn).map((block) => block.kind)).toEqual([
          "system",
          "user",
          "tool_call",
          "tool_use",
          "llm_text",
          "user",
          "llm_text",
        ]);
      } finally {
        await replay.close();
      }
    });

    it("a client that leaves the recording gets an error event naming the line and both message types", async () => {
      const file = join(directory, `diverge-${protocol.rate}.realtime.jsonl`);
      const proxy = await startRecordingProxy({
        upstream: scripted.url.replace(/^http/, "ws"),
        file,
        environment: protocol.environment,
      });
      await converse(protocol.mode(protocol.url(proxy)), protocol.rate);
      await proxy.close();
      const replay = await startReplayServer({ recording: file });
      try {
        const session = await DuplexSession.open({ mode: protocol.mode(protocol.url(replay)) });
        const reader = readResponse(session);
        // The recording starts with a text turn; this client speaks first.
        await session.sendAudio(pcm16Tone({ sampleRate: protocol.rate, durationMs: 100 }), {
          encoding: "pcm16",
          sampleRate: protocol.rate,
        });
        const error = await reader.until((chunk) => chunk.type === "error");
        const recording = parseRecording(await readFile(file, "utf8"), file);
        const index = recording.messages.findIndex(
          (message, position) =>
            position > 0 &&
            message.direction === "client" &&
            messageType(message) !== messageType(recording.messages[0]!),
        );
        const line = recording.lines![index]!;
        const expected = messageType(recording.messages[index]!);
        expect(replay.divergences).toEqual([
          expect.objectContaining({
            line,
            expected,
            received: protocol.rate === 24_000 ? "input_audio_buffer.append" : "realtimeInput",
          }),
        ]);
        const said = (error as { error: Error }).error.message;
        expect(said).toContain(`line ${line}`);
        expect(said).toContain(`expected a client message of type "${expected}"`);
        expect(said).toContain(
          `received "${protocol.rate === 24_000 ? "input_audio_buffer.append" : "realtimeInput"}"`,
        );
        await session.close().catch(() => {});
      } finally {
        await replay.close();
      }
    });
  });
}

describe("parseRecording", () => {
  it("names the file and line of a bad line", async () => {
    const file = join(directory, "bad.realtime.jsonl");
    await writeFile(
      file,
      `${JSON.stringify({ format: "geppetto-realtime-recording", version: 1, protocol: "openai-realtime", date: "2026-12-02", source: "test" })}\n{"direction":"sideways","timeMs":0,"text":"{}"}\n`,
    );
    await expect(startReplayServer({ recording: file })).rejects.toThrow(
      `${file}:2: direction must be "client" or "server"`,
    );
    expect(() => parseRecording("{}\n", "x.jsonl")).toThrow("x.jsonl:1: the first line must be a header");
  });
});
