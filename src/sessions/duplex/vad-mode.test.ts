/**
 * DuplexSession in VAD mode over synthetic PCM: the detector finds the turn, the transcription endpoint of the
 * local realtime server turns it into text (real HTTP), a ScriptedEngine answers, and the speech endpoint speaks.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RealtimeServer, startRealtimeServer } from "../../testing/realtime/index.ts";
import { ScriptedEngine, type ScriptStep, script } from "../../testing/scripted-engine.ts";
import { MemoryStateStore } from "../state-store.ts";
import { pcm16Silence, pcm16Tone } from "./audio.ts";
import { DuplexSession } from "./duplex-session.ts";
import { openAISpeech, openAITranscriber } from "./speech-clients.ts";
import { chunksOfType, readResponse } from "./test-support.ts";
import { type BargeInPolicy, vadMode } from "./vad-mode.ts";

const RATE = 16_000;
let server: RealtimeServer;
const transcripts: string[] = [];

beforeAll(async () => {
  server = await startRealtimeServer({
    transcribe: () => transcripts.shift() ?? "something else",
    speechPacingMs: 5,
  });
});
afterAll(() => server.close());

/** A spoken turn: a tone burst then enough silence to end it. */
function utterance(durationMs = 300): Uint8Array[] {
  return [pcm16Tone({ sampleRate: RATE, durationMs }), pcm16Silence({ sampleRate: RATE, durationMs: 400 })];
}

async function open(
  responses: ScriptStep[][],
  options: { bargeIn?: BargeInPolicy; store?: MemoryStateStore; speech?: boolean } = {},
) {
  const engine = new ScriptedEngine(responses);
  const session = await DuplexSession.open({
    stateStore: options.store ?? new MemoryStateStore(),
    systemPrompt: "You are a voice assistant for {{user}}.",
    variables: { user: "Ada" },
    mode: vadMode({
      engine,
      transcriber: openAITranscriber({
        baseURL: server.baseURL,
        apiKey: "sk-test-transcribe",
        model: "whisper-1",
      }),
      ...(options.speech === false
        ? {}
        : { speech: openAISpeech({ baseURL: server.baseURL, apiKey: "sk-test-speech" }) }),
      vad: { silenceMs: 300 },
      ...(options.bargeIn ? { bargeIn: options.bargeIn } : {}),
    }),
  });
  return { session, engine, reader: readResponse(session) };
}

async function speak(session: DuplexSession, audio: Uint8Array[]): Promise<void> {
  for (const part of audio) await session.sendAudio(part, { encoding: "pcm16", sampleRate: RATE });
}

describe("DuplexSession, VAD mode", () => {
  it("answers a spoken turn: transcript, text and speech out, and the turn in the state store", async () => {
    transcripts.push("What is two plus two?");
    const store = new MemoryStateStore();
    const { session, reader } = await open([[...script.text("Four. Anything else?")]], { store });
    await speak(session, utterance());
    const end = await reader.until((chunk) => chunk.type === "turn-end");
    const turn = reader.chunks.filter(
      (chunk) => "turnId" in chunk && chunk.turnId === (end as { turnId: string }).turnId,
    );
    expect(turn[0]?.type).toBe("turn-start");
    expect(chunksOfType(turn, "transcript")).toEqual([
      expect.objectContaining({ role: "user", text: "What is two plus two?", final: true }),
    ]);
    expect(
      chunksOfType(turn, "text-delta")
        .map((chunk) => chunk.delta)
        .join(""),
    ).toBe("Four. Anything else?");
    const audio = chunksOfType(turn, "audio-delta");
    expect(audio.reduce((sum, chunk) => sum + chunk.data.byteLength, 0)).toBe(
      ("Four. ".length + "Anything else?".length) * 10 * 48,
    );
    expect(audio[0]?.format).toEqual({ encoding: "pcm16", sampleRate: 24_000 });
    const transcription = server.audioRequests.find((request) => request.text === "What is two plus two?");
    expect(transcription?.durationMs).toBeGreaterThanOrEqual(300);
    expect(
      server.audioRequests
        .filter((request) => request.path.endsWith("/speech"))
        .map((request) => request.text),
    ).toEqual(expect.arrayContaining(["Four. ", "Anything else?"]));
    await session.saved();
    expect((await store.load(session.id))?.turn.blocks.map((block) => block.kind)).toEqual([
      "system",
      "user",
      "llm_text",
    ]);
    expect(await session.messages()).toMatchObject([
      { role: "system", content: "You are a voice assistant for Ada." },
      { role: "user", content: "What is two plus two?", source: "transcript" },
      { role: "assistant", content: "Four. Anything else?" },
    ]);
    await session.close();
  });

  it("takes text turns that end on an explicit end of turn", async () => {
    const { session, reader } = await open([script.text("Hello."), script.text("Bye.")], { speech: false });
    await session.sendText("Hi");
    await reader.until((chunk) => chunk.type === "turn-end");
    await session.sendText("See you ", { endOfTurn: false });
    await session.sendText("later");
    await session.endTurn();
    await reader.until(
      (chunk) =>
        chunk.type === "turn-end" && reader.chunks.filter((each) => each.type === "turn-end").length === 2,
    );
    expect((await session.messages()).map((message) => message.content)).toEqual([
      "You are a voice assistant for Ada.",
      "Hi",
      "Hello.",
      "See you later",
      "Bye.",
    ]);
    await session.close();
  });

  it("barge-in, immediate: speech during the answer stops it; the partial answer is kept and the new turn answered", async () => {
    transcripts.push("Tell me a long story", "Stop, what time is it?");
    const never = new Promise<void>(() => {});
    const { session, reader } = await open(
      [
        [...script.text("Once upon a time. "), { type: "pause", until: never }, ...script.text("never said")],
        script.text("Noon."),
      ],
      { bargeIn: "immediate" },
    );
    await speak(session, utterance());
    await reader.until((chunk) => chunk.type === "audio-delta");
    await speak(session, utterance());
    const interrupted = await reader.until((chunk) => chunk.type === "interrupted");
    expect(interrupted).toMatchObject({ reason: "barge-in" });
    await reader.until((chunk) => chunk.type === "text-delta" && chunk.delta.startsWith("Noon"));
    await reader.until((chunk) => chunk.type === "turn-end" && chunk.interrupted === false);
    const messages = await session.messages();
    expect(messages.map((message) => message.content)).toEqual([
      "You are a voice assistant for Ada.",
      "Tell me a long story",
      "Once upon a time. ",
      "Stop, what time is it?",
      "Noon.",
    ]);
    await session.close();
  });

  it("barge-in, after-sentence: the sentence being spoken is finished, the rest is not spoken", async () => {
    transcripts.push("Two sentences please", "ok");
    const { session, reader } = await open(
      [script.text("First sentence here. Second sentence here."), script.text("Fine.")],
      {
        bargeIn: "after-sentence",
      },
    );
    await speak(session, utterance());
    const first = await reader.until((chunk) => chunk.type === "audio-delta");
    await speak(session, utterance());
    await reader.until((chunk) => chunk.type === "interrupted");
    const turnAudio = chunksOfType(reader.chunks, "audio-delta").filter(
      (chunk) => chunk.turnId === (first as { turnId: string }).turnId,
    );
    expect(turnAudio.reduce((sum, chunk) => sum + chunk.data.byteLength, 0)).toBe(
      "First sentence here. ".length * 10 * 48,
    );
    await reader.until((chunk) => chunk.type === "turn-end" && chunk.interrupted === false);
    await session.close();
  });

  it("barge-in, ignore: the answer finishes and the speech is the next turn", async () => {
    transcripts.push("first", "second");
    const { session, reader } = await open([script.text("One. Two. Three."), script.text("Next.")], {
      bargeIn: "ignore",
    });
    await speak(session, utterance());
    await reader.until((chunk) => chunk.type === "audio-delta");
    await speak(session, utterance());
    await reader.until((chunk) => chunk.type === "text-delta" && chunk.delta === "Next.");
    await reader.until(
      (chunk) =>
        chunk.type === "turn-end" && reader.chunks.filter((each) => each.type === "turn-end").length === 2,
    );
    expect(reader.chunks.some((chunk) => chunk.type === "interrupted")).toBe(false);
    expect((await session.messages()).map((message) => message.content)).toContain("One. Two. Three.");
    await session.close();
  });

  it("close while streaming: done settles, the stream ends, the partial answer is not a turn, and sends are refused", async () => {
    transcripts.push("start something");
    const store = new MemoryStateStore();
    const never = new Promise<void>(() => {});
    const { session, reader } = await open(
      [[...script.text("Working on it. "), { type: "pause", until: never }]],
      { store },
    );
    await speak(session, utterance());
    await reader.until((chunk) => chunk.type === "text-delta");
    await session.close();
    await session.done;
    await reader.ended;
    expect(session.closed).toBe(true);
    expect((await store.load(session.id))?.turn.blocks ?? []).toEqual([]);
    await expect(session.sendText("hello?")).rejects.toMatchObject({
      code: "session_closed",
      message: expect.stringContaining("cannot send the text chunk"),
    });
  });

  it("refuses bad input with errors naming it, and keeps what is stored", async () => {
    const store = new MemoryStateStore();
    const { session, reader } = await open([script.text("Sure.")], { store, speech: false });
    await session.sendText("remember this");
    await reader.until((chunk) => chunk.type === "turn-end");
    const before = await store.load(session.id);
    await expect(
      session.sendAudio(new Uint8Array(320), { encoding: "pcm16", sampleRate: 44_100 }),
    ).rejects.toThrow("audio sample rate 44100 Hz is not supported by this mode: send 16000 Hz PCM16");
    await expect(
      session.sendAudio(new Uint8Array(320), { encoding: "opus" as "pcm16", sampleRate: RATE }),
    ).rejects.toMatchObject({ code: "unsupported_audio" });
    await expect(session.sendAudio(new Uint8Array(3))).rejects.toThrow("not whole PCM16 samples");
    await expect(
      session.sendFrame({
        data: new Uint8Array(2 * 1024 * 1024),
        mimeType: "image/jpeg",
        frameNumber: 7,
        timestamp: 0,
      }),
    ).rejects.toMatchObject({ code: "frame_too_large", message: expect.stringContaining("image frame 7") });
    await expect(
      session.sendVideoChunk({
        data: new Uint8Array(10),
        mimeType: "video/webm",
        chunkIndex: 0,
        keyFrame: true,
        timestamp: 0,
        durationMs: 100,
      }),
    ).rejects.toThrow("does not take encoded video");
    expect(await store.load(session.id)).toEqual(before);
    await session.close();
  });

  it("sends from several tasks at once in call order", async () => {
    const { session, engine, reader } = await open([script.text("Got it.")], { speech: false });
    await Promise.all(["a", "b", "c", "d"].map((piece) => session.sendText(piece, { endOfTurn: false })));
    await session.endTurn();
    await reader.until((chunk) => chunk.type === "turn-end");
    expect((await session.messages())[1]?.content).toBe("abcd");
    expect(engine.calls).toBe(1);
    await session.close();
  });

  it("ends with an error chunk when the transcription server is gone, keeping the complete turns", async () => {
    const gone = await startRealtimeServer();
    const store = new MemoryStateStore();
    const session = await DuplexSession.open({
      stateStore: store,
      mode: vadMode({
        engine: new ScriptedEngine([script.text("First answer.")]),
        transcriber: openAITranscriber({ baseURL: gone.baseURL, apiKey: "sk-secret-never-shown" }),
        vad: { silenceMs: 300 },
      }),
    });
    const reader = readResponse(session);
    await session.sendText("typed first");
    await reader.until((chunk) => chunk.type === "turn-end");
    await gone.close();
    await speak(session, utterance());
    const failure = await reader.until((chunk) => chunk.type === "error");
    await session.done;
    await reader.ended;
    expect(session.error).toBeDefined();
    expect(String((failure as { error: Error }).error.message)).not.toContain("sk-secret");
    expect((await store.load(session.id))?.turn.blocks.map((block) => block.kind)).toEqual([
      "user",
      "llm_text",
    ]);
  });

  it("back-pressure: a reader that stops holds the answer at the response capacity; reading on gets all of it", async () => {
    const words = Array.from({ length: 200 }, (_unused, index) => `w${index} `);
    const session = await DuplexSession.open({
      responseCapacity: 8,
      mode: vadMode({
        engine: new ScriptedEngine([script.text(words.join(""))]),
        transcriber: { transcribe: async () => "" },
      }),
    });
    await session.sendText("talk");
    await vi.waitFor(() => expect(session.bufferedChunks).toBeGreaterThanOrEqual(8));
    for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(session.bufferedChunks).toBeLessThanOrEqual(9);
    expect(session.error).toBeUndefined();
    let text = "";
    let most = 0;
    for await (const chunk of session.response()) {
      most = Math.max(most, session.bufferedChunks);
      if (chunk.type === "text-delta") text += chunk.delta;
      if (chunk.type === "turn-end") break;
    }
    expect(text).toBe(words.join(""));
    expect(most).toBeLessThanOrEqual(9);
    await session.close();
  });

  it("forks: the fork continues from the conversation so far, in its own state", async () => {
    const store = new MemoryStateStore();
    const { session, reader } = await open([script.text("Original."), script.text("In the fork.")], {
      store,
      speech: false,
    });
    await session.sendText("one");
    await reader.until((chunk) => chunk.type === "turn-end");
    const fork = await session.fork("duplex-fork");
    const forkReader = readResponse(fork);
    await fork.sendText("two");
    await forkReader.until((chunk) => chunk.type === "turn-end");
    expect((await fork.messages()).map((message) => message.content).slice(1)).toEqual([
      "one",
      "Original.",
      "two",
      "In the fork.",
    ]);
    expect((await session.messages()).map((message) => message.content).slice(1)).toEqual([
      "one",
      "Original.",
    ]);
    expect((await store.load("duplex-fork"))?.turn.blocks).toHaveLength(5);
    await Promise.all([session.close(), fork.close()]);
  });
});
