/**
 * DuplexSession in realtime (ASM) mode over real WebSockets, against the local realtime server speaking the
 * OpenAI Realtime and Gemini Live protocols: one shared set of scenarios, run over both.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  type RealtimeReplyInput,
  type RealtimeServer,
  startRealtimeServer,
} from "../../testing/realtime/index.ts";
import { defineTool } from "../../tools/define-tool.ts";
import { ToolRegistry } from "../../tools/registry.ts";
import { MemoryStateStore } from "../state-store.ts";
import { pcm16Silence, pcm16Tone } from "./audio.ts";
import { DuplexSession } from "./duplex-session.ts";
import { geminiLiveMode } from "./gemini-live.ts";
import { openAIRealtimeMode } from "./openai-realtime.ts";
import { KeyBlockMetaInterrupted } from "./realtime-mode.ts";
import { chunksOfType, readResponse } from "./test-support.ts";

let server: RealtimeServer;
let replies: ((input: RealtimeReplyInput) => {
  text?: string;
  toolCalls?: { name: string; args: Record<string, string> }[];
})[] = [];
const transcripts: string[] = [];

beforeAll(async () => {
  server = await startRealtimeServer({
    transcribe: () => transcripts.shift() ?? "more speech",
    respond: (input) => {
      const next = replies.shift();
      return next
        ? { ...next(input), usage: { inputTokens: 12, outputTokens: 7 } }
        : { text: `You said: ${input.userText}` };
    },
    wordPacingMs: 2,
  });
});
afterAll(() => server.close());

const weather = defineTool({
  name: "get_weather",
  description: "The weather in a city",
  input: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, sky: "sunny" }),
});

interface ModeOptions {
  registry?: ToolRegistry;
  pushToTalk?: boolean;
  textOnly?: boolean;
}

const protocols = [
  {
    name: "OpenAI Realtime",
    rate: 24_000,
    mode: (options: ModeOptions = {}) =>
      openAIRealtimeMode({
        url: server.openAIRealtimeURL,
        apiKey: "sk-realtime-secret",
        model: "gpt-realtime",
        ...(options.registry ? { registry: options.registry } : {}),
        ...(options.pushToTalk ? { turnDetection: "none" as const } : {}),
        ...(options.textOnly ? { output: "text" as const } : {}),
      }),
  },
  {
    name: "OpenAI Realtime (beta interface)",
    rate: 24_000,
    mode: (options: ModeOptions = {}) =>
      openAIRealtimeMode({
        url: server.openAIRealtimeURL,
        apiKey: "sk-realtime-secret",
        model: "gpt-4o-realtime-preview",
        apiVersion: "beta",
        ...(options.registry ? { registry: options.registry } : {}),
        ...(options.pushToTalk ? { turnDetection: "none" as const } : {}),
        ...(options.textOnly ? { output: "text" as const } : {}),
      }),
  },
  {
    name: "Gemini Live",
    rate: 16_000,
    mode: (options: ModeOptions = {}) =>
      geminiLiveMode({
        url: server.geminiLiveURL,
        apiKey: "gemini-secret-key",
        model: "gemini-live-2.5-flash-preview",
        ...(options.registry ? { registry: options.registry } : {}),
        ...(options.pushToTalk ? { turnDetection: "none" as const } : {}),
        ...(options.textOnly ? { output: "text" as const } : {}),
      }),
  },
];

for (const protocol of protocols) {
  describe(`DuplexSession, realtime mode: ${protocol.name}`, () => {
    const utterance = () => [
      pcm16Tone({ sampleRate: protocol.rate, durationMs: 300 }),
      pcm16Silence({ sampleRate: protocol.rate, durationMs: 400 }),
    ];
    async function open(store = new MemoryStateStore(), registry?: ToolRegistry) {
      replies = [];
      const session = await DuplexSession.open({
        stateStore: store,
        systemPrompt: "You are {{persona}}.",
        variables: { persona: "a weather bot" },
        mode: protocol.mode(registry ? { registry } : {}),
      });
      return {
        session,
        store,
        reader: readResponse(session),
        connection: server.realtimeConnections.at(-1)!,
      };
    }
    async function speak(session: DuplexSession) {
      for (const part of utterance())
        await session.sendAudio(part, { encoding: "pcm16", sampleRate: protocol.rate });
    }

    it("answers a voice turn: audio in, audio and transcripts out, usage, and the turn in the store", async () => {
      const { session, store, reader, connection } = await open(
        new MemoryStateStore(),
        new ToolRegistry().register(weather),
      );
      const setup = JSON.stringify(connection.setup);
      expect(setup).toContain("You are a weather bot.");
      expect(setup).toContain("get_weather");
      expect(setup).not.toContain("secret");
      transcripts.push("hello there");
      replies.push(() => ({ text: "Hi! Ask me about the weather." }));
      await speak(session);
      const end = await reader.until((chunk) => chunk.type === "turn-end");
      expect(end).toMatchObject({ interrupted: false, usage: { inputTokens: 12, outputTokens: 7 } });
      expect(
        chunksOfType(reader.chunks, "transcript")
          .filter((chunk) => chunk.role === "user")
          .map((chunk) => chunk.text),
      ).toEqual(["hello there"]);
      const said = chunksOfType(reader.chunks, "transcript")
        .filter((chunk) => chunk.role === "assistant")
        .map((chunk) => chunk.text);
      expect(said.join("")).toBe("Hi! Ask me about the weather.");
      const audio = chunksOfType(reader.chunks, "audio-delta");
      expect(audio.length).toBe(6);
      expect(audio[0]?.format).toEqual({ encoding: "pcm16", sampleRate: 24_000 });
      await session.saved();
      expect((await store.load(session.id))?.turn.blocks.map((block) => block.kind)).toEqual([
        "system",
        "user",
        "llm_text",
      ]);
      expect((await session.messages()).slice(1)).toMatchObject([
        { role: "user", content: "hello there", source: "transcript" },
        { role: "assistant", content: "Hi! Ask me about the weather." },
      ]);
      await session.close();
    });

    it("executes a tool call inside the realtime session and answers it", async () => {
      const { session, reader } = await open(new MemoryStateStore(), new ToolRegistry().register(weather));
      replies.push(
        () => ({ toolCalls: [{ name: "get_weather", args: { city: "Paris" } }] }),
        (input) => ({
          text: `It is ${JSON.parse(input.toolResults[0]!.output).result?.sky ?? JSON.parse(input.toolResults[0]!.output).sky} in Paris.`,
        }),
      );
      await session.sendText("Weather in Paris?");
      await reader.until((chunk) => chunk.type === "turn-end");
      expect(chunksOfType(reader.chunks, "tool-call")).toEqual([
        expect.objectContaining({ name: "get_weather", args: { city: "Paris" } }),
      ]);
      expect(chunksOfType(reader.chunks, "tool-result")).toEqual([
        expect.objectContaining({ name: "get_weather", result: { city: "Paris", sky: "sunny" } }),
      ]);
      expect((await session.messages()).slice(1)).toMatchObject([
        { role: "user", content: "Weather in Paris?", source: "text" },
        { role: "assistant", toolCalls: [{ name: "get_weather", args: { city: "Paris" } }] },
        { role: "tool", toolName: "get_weather", toolResult: { city: "Paris", sky: "sunny" } },
        { role: "assistant", content: "It is sunny in Paris." },
      ]);
      await session.close();
    });

    it("barge-in: speech over the answer interrupts it (an event), truncates it to the audio played, keeps the partial answer, and answers the new turn", async () => {
      const { session, reader, store, connection } = await open();
      const long = Array.from({ length: 200 }, (_unused, index) => `word${index}`).join(" ");
      transcripts.push("tell me everything", "stop");
      replies.push(
        () => ({ text: long }),
        () => ({ text: "Stopped." }),
      );
      await speak(session);
      const first = (await reader.until((chunk) => chunk.type === "audio-delta")) as { turnId: string };
      await speak(session);
      const interrupted = await reader.until((chunk) => chunk.type === "interrupted");
      expect(interrupted).toMatchObject({ turnId: first.turnId, reason: "barge-in" });
      await reader.until((chunk) => chunk.type === "turn-end" && chunk.interrupted);
      await reader.until((chunk) => chunk.type === "turn-end" && !chunk.interrupted);
      // The audio played is what the reader took of the answer; the rest of it never reaches the stream.
      const heard = chunksOfType(reader.chunks, "audio-delta")
        .filter((chunk) => chunk.turnId === first.turnId)
        .reduce((total, chunk) => total + chunk.data.byteLength / 48, 0);
      expect(heard).toBeGreaterThan(0);
      expect((interrupted as { audioPlayedMs: number }).audioPlayedMs).toBe(Math.floor(heard));
      const messages = (await session.messages()).slice(1).map((message) => message.content);
      expect(messages[0]).toBe("tell me everything");
      expect(long.startsWith(messages[1]!)).toBe(true);
      expect(messages[1]!.length).toBeLessThan(long.length);
      expect(messages.slice(2)).toEqual(["stop", "Stopped."]);
      const saved = (await store.load(session.id))!.turn;
      const partial = saved.blocks.find((block) => block.kind === "llm_text")!;
      expect(KeyBlockMetaInterrupted.get(partial)).toEqual({
        reason: "barge-in",
        audioPlayedMs: Math.floor(heard),
      });
      if (protocol.rate === 24_000) {
        const truncate = await vi.waitFor(() => {
          const found = connection.received.find((message) => message.type === "conversation.item.truncate");
          if (!found) throw new Error("no conversation.item.truncate received yet");
          return found;
        });
        expect(truncate).toEqual({
          type: "conversation.item.truncate",
          item_id: expect.stringMatching(/^item_/),
          content_index: 0,
          audio_end_ms: Math.floor(heard),
        });
        expect(connection.errors).toEqual([]);
      }
      await session.close();
    });

    it("back-pressure: a reader that stops makes the session stop reading the socket; nothing is lost, memory stays bounded", async () => {
      const words = Array.from({ length: 600 }, (_unused, index) => `w${index}`);
      // About 30 MB of answer audio: far more than the loopback socket buffers hold.
      const loud = await startRealtimeServer({
        msPerCharacter: 100,
        wordPacingMs: 1,
        respond: () => ({ text: words.join(" ") }),
      });
      try {
        const session = await DuplexSession.open({
          responseCapacity: 16,
          mode:
            protocol.rate === 24_000
              ? openAIRealtimeMode({ url: loud.openAIRealtimeURL, model: "gpt-realtime" })
              : geminiLiveMode({ url: loud.geminiLiveURL, model: "gemini-live" }),
        });
        const connection = loud.realtimeConnections.at(-1)!;
        const chunks = session.response()[Symbol.asyncIterator]();
        await session.sendText("talk for a long time");
        let said = "";
        const take = async () => {
          const taken = await chunks.next();
          if (!taken.done && taken.value.type === "transcript" && taken.value.role === "assistant")
            said += taken.value.text;
          return taken;
        };
        let next = await take();
        while (!next.done && next.value.type !== "audio-delta") next = await take();
        // The reader stalls: the server's unsent bytes pile up only because the session stopped reading.
        await vi.waitFor(() => expect(connection.maxBufferedBytes).toBeGreaterThan(1_000_000), {
          timeout: 30_000,
          interval: 5,
        });
        expect(session.bufferedChunks).toBeLessThanOrEqual(16 + 8);
        let most = session.bufferedChunks;
        let audio = 1;
        while (!next.done && next.value.type !== "turn-end") {
          next = await take();
          most = Math.max(most, session.bufferedChunks);
          if (next.value?.type === "audio-delta") audio++;
        }
        expect(audio).toBe(words.length);
        expect(said).toBe(words.join(" "));
        expect(most).toBeLessThanOrEqual(16 + 8);
        await session.close();
      } finally {
        await loud.close();
      }
    });

    it("server drop mid-session: a clear error chunk, done settles, and the state keeps the complete turns", async () => {
      const { session, store, reader } = await open();
      replies.push(
        () => ({ text: "First answer." }),
        () => ({ text: Array.from({ length: 500 }, () => "more").join(" ") }),
      );
      await session.sendText("first");
      await reader.until((chunk) => chunk.type === "turn-end");
      await session.sendText("second");
      await reader.until(
        (chunk) =>
          chunk.type === "audio-delta" &&
          reader.chunks.filter((each) => each.type === "turn-start").length === 2,
      );
      server.dropRealtimeConnections();
      const failure = await reader.until((chunk) => chunk.type === "error");
      await session.done;
      await reader.ended;
      const error = (failure as { error: Error & { code: string } }).error;
      expect(error.code).toBe("stream_interrupted");
      expect(error.message).toContain("closed mid-session");
      expect(error.message).not.toContain("secret");
      expect(session.error).toBe(error);
      expect((await store.load(session.id))?.turn.blocks.map((block) => block.payload)).toMatchObject([
        { text: "You are a weather bot." },
        { text: "first" },
        { text: "First answer." },
      ]);
      await expect(session.sendText("anyone?")).rejects.toMatchObject({ code: "session_closed" });
    });

    it("close while streaming: done settles, the stream ends, the connection is closed, the partial turn is not saved", async () => {
      const { session, store, reader } = await open();
      replies.push(() => ({ text: Array.from({ length: 500 }, () => "talk").join(" ") }));
      await session.sendText("go on");
      await reader.until((chunk) => chunk.type === "audio-delta");
      await session.close();
      await session.done;
      await reader.ended;
      expect(reader.chunks.some((chunk) => chunk.type === "error")).toBe(false);
      expect(await store.load(session.id)).toBeUndefined();
    });

    it("forks: the fork's connection starts from the conversation so far and diverges", async () => {
      const { session, store, reader } = await open();
      await session.sendText("remember blue");
      await reader.until((chunk) => chunk.type === "turn-end");
      const fork = await session.fork();
      const forkConnection = server.realtimeConnections.at(-1)!;
      expect(JSON.stringify(forkConnection.received)).toContain("remember blue");
      const forkReader = readResponse(fork);
      await fork.sendText("only in the fork");
      await forkReader.until((chunk) => chunk.type === "turn-end");
      expect((await fork.messages()).slice(1).map((message) => message.content)).toEqual([
        "remember blue",
        "You said: remember blue",
        "only in the fork",
        "You said: only in the fork",
      ]);
      expect((await store.load(session.id))?.turn.blocks).toHaveLength(3);
      await Promise.all([session.close(), fork.close()]);
    });

    it("push to talk with text output: the turn ends on endTurn() and the answer streams as text", async () => {
      replies = [];
      const session = await DuplexSession.open({ mode: protocol.mode({ pushToTalk: true, textOnly: true }) });
      const reader = readResponse(session);
      transcripts.push("pressed and spoke");
      await speak(session);
      await session.endTurn();
      await reader.until((chunk) => chunk.type === "turn-end");
      expect(chunksOfType(reader.chunks, "audio-delta")).toEqual([]);
      expect(
        chunksOfType(reader.chunks, "text-delta")
          .map((chunk) => chunk.delta)
          .join(""),
      ).toBe("You said: pressed and spoke");
      expect((await session.messages()).map((message) => message.source)).toEqual(["transcript", "text"]);
      await session.close();
    });

    it("refuses bad input with errors naming it", async () => {
      const { session } = await open();
      const other = protocol.rate === 24_000 ? 16_000 : 24_000;
      await expect(
        session.sendAudio(new Uint8Array(64), { encoding: "pcm16", sampleRate: other }),
      ).rejects.toThrow(
        `audio sample rate ${other} Hz is not supported by this mode: send ${protocol.rate} Hz PCM16`,
      );
      await session.close();
    });
  });
}

describe("realtime connections", () => {
  it("OpenAI: the GA interface sets up audio under session.audio; the beta one sends OpenAI-Beta and flat fields", async () => {
    for (const apiVersion of ["ga", "beta"] as const) {
      const session = await DuplexSession.open({
        systemPrompt: "Be brief.",
        mode: openAIRealtimeMode({
          url: server.openAIRealtimeURL,
          model: "gpt-realtime",
          voice: "marin",
          apiVersion,
        }),
      });
      const setup = server.realtimeConnections.at(-1)!.setup!;
      if (apiVersion === "ga")
        expect(setup).toMatchObject({
          type: "realtime",
          instructions: "Be brief.",
          output_modalities: ["audio"],
          audio: {
            input: { format: { type: "audio/pcm", rate: 24_000 }, turn_detection: { type: "server_vad" } },
            output: { voice: "marin" },
          },
        });
      else
        expect(setup).toMatchObject({
          modalities: ["audio", "text"],
          input_audio_format: "pcm16",
          voice: "marin",
          instructions: "Be brief.",
        });
      await session.close();
    }
  });

  it("an unknown variable in the instructions is an error before any connection is made", async () => {
    const connections = server.realtimeConnections.length;
    await expect(
      DuplexSession.open({
        systemPrompt: "Hello {{nobody}}",
        mode: geminiLiveMode({ url: server.geminiLiveURL, model: "gemini-live" }),
      }),
    ).rejects.toMatchObject({
      code: "unknown_variable",
      message: expect.stringContaining("{{nobody}} in the system prompt"),
    });
    expect(server.realtimeConnections.length).toBe(connections);
  });

  it("a refused connection is a provider error naming the address and status, without the key", async () => {
    const error = await DuplexSession.open({
      mode: openAIRealtimeMode({
        url: `${server.url.replace("http", "ws")}/nowhere`,
        apiKey: "sk-never-printed",
        model: "m",
      }),
    }).catch((caught: Error) => caught);
    expect(error).toMatchObject({ code: "provider_error", status: 404 });
    expect((error as Error).message).toContain("/nowhere refused the WebSocket upgrade with HTTP 404");
    expect((error as Error).message).not.toContain("sk-never-printed");
  });

  it("Gemini Live takes image frames and encoded video; OpenAI Realtime takes frames and refuses video", async () => {
    const gemini = await DuplexSession.open({
      mode: geminiLiveMode({ url: server.geminiLiveURL, model: "gemini-live" }),
    });
    const connection = server.realtimeConnections.at(-1)!;
    await gemini.sendFrame({
      data: new Uint8Array([0xff, 0xd8]),
      mimeType: "image/jpeg",
      frameNumber: 1,
      timestamp: 0,
    });
    await gemini.sendVideoChunk({
      data: new Uint8Array(8),
      mimeType: "video/webm",
      chunkIndex: 0,
      keyFrame: true,
      timestamp: 0,
      durationMs: 40,
    });
    await gemini.sendText("what do you see?");
    const reader = readResponse(gemini);
    await reader.until((chunk) => chunk.type === "turn-end");
    expect(connection.received.filter((message) => JSON.stringify(message).includes('"video"'))).toHaveLength(
      2,
    );
    await gemini.close();
    const openai = await DuplexSession.open({
      mode: openAIRealtimeMode({ url: server.openAIRealtimeURL, model: "gpt-realtime" }),
    });
    await openai.sendFrame({
      data: new Uint8Array([0xff, 0xd8]),
      mimeType: "image/jpeg",
      frameNumber: 1,
      timestamp: 0,
    });
    await expect(
      openai.sendVideoChunk({
        data: new Uint8Array(8),
        mimeType: "video/webm",
        chunkIndex: 3,
        keyFrame: false,
        timestamp: 0,
        durationMs: 40,
      }),
    ).rejects.toThrow("the video chunk 3: this duplex mode does not take encoded video");
    await openai.close();
  });
});
