/**
 * Duplex sessions benchmark, every figure against a baseline measured in the same run:
 *
 * 1. Added latency: a spoken turn (PCM16 24 kHz in 20 ms chunks: a 300 ms tone then 400 ms of silence) over the
 *    OpenAI Realtime protocol of the local realtime server (in its own process); the time from sending the last
 *    input chunk to the first output audio chunk, for a `DuplexSession` (realtime mode) and for a raw `ws` client
 *    sending the same messages and decoding the audio it gets. Turns alternate between the two, in rounds; the
 *    figure is the median over the rounds of each round's ratio of medians (target ≤ 1.2). The load average is
 *    printed: on a loaded machine the scheduling noise (milliseconds) is larger than what either client does.
 * 2. Memory of 100 idle duplex sessions (each connected, with one finished exchange), heap after GC per session,
 *    against 100 raw `ws` connections set up the same way; and of 100 idle VAD-mode sessions (no connection).
 *
 *   npm run build && npx node --expose-gc bench/duplex.ts           # full
 *   npm run build && npx node --expose-gc bench/duplex.ts --quick   # fewer turns
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { formatRatio, median, percentile } from "./stats.ts";

// biome-ignore lint/suspicious/noExplicitAny: dist modules are loaded dynamically, typed at the call sites.
type Module = any;

const dist = (path: string): Promise<Module> => import(new URL(`../dist/${path}`, import.meta.url).href);
const RATE = 24_000;
const CHUNK_BYTES = (RATE / 50) * 2;

async function serve(): Promise<void> {
  const testing = await dist("testing/index.js");
  const server = await testing.startRealtimeServer({ respond: () => ({ text: "Sure, here it is." }) });
  process.stdout.write(`${JSON.stringify({ url: server.openAIRealtimeURL })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void server.close().then(() => process.exit(0)));
}

async function startServerProcess(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "server"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout! }).once("line", resolve),
  );
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => child.stdin?.end() };
}

function utteranceChunks(sessions: Module): Uint8Array[] {
  const speech = sessions.pcm16Tone({ sampleRate: RATE, durationMs: 300 });
  const silence = sessions.pcm16Silence({ sampleRate: RATE, durationMs: 400 });
  return [...sessions.chunksOf(speech, CHUNK_BYTES), ...sessions.chunksOf(silence, CHUNK_BYTES)];
}

/** A raw client: the same session.update, then audio appends; resolves per turn with the latency. */
async function rawClient(
  url: string,
): Promise<{ turn: (chunks: Uint8Array[]) => Promise<number>; close: () => void }> {
  const socket = new WebSocket(`${url}?model=gpt-realtime`, {
    headers: { Authorization: "Bearer sk-bench" },
  });
  let listener: ((message: { type: string }) => void) | undefined;
  socket.on("message", (data) => listener?.(JSON.parse(data.toString()) as { type: string }));
  await new Promise<void>((resolve) => socket.once("open", () => resolve()));
  await new Promise<void>((resolve) => {
    listener = (message) => {
      if (message.type === "session.updated") resolve();
    };
    socket.send(
      JSON.stringify({
        type: "session.update",
        session: {
          type: "realtime",
          model: "gpt-realtime",
          output_modalities: ["audio"],
          audio: {
            input: { format: { type: "audio/pcm", rate: RATE }, turn_detection: { type: "server_vad" } },
            output: { format: { type: "audio/pcm", rate: RATE } },
          },
        },
      }),
    );
  });
  return {
    async turn(chunks) {
      let sentLast = 0;
      let first = 0;
      const done = new Promise<void>((resolve) => {
        listener = (message) => {
          if (message.type === "response.output_audio.delta") {
            // An honest client needs the PCM: decode it, as the session does.
            const pcm = Buffer.from(String((message as { delta?: string }).delta), "base64");
            if (first === 0 && pcm.byteLength > 0) first = performance.now();
          }
          if (message.type === "response.done") resolve();
        };
      });
      for (const chunk of chunks) {
        socket.send(
          JSON.stringify({ type: "input_audio_buffer.append", audio: Buffer.from(chunk).toString("base64") }),
        );
        sentLast = performance.now();
      }
      await done;
      return first - sentLast;
    },
    close: () => socket.close(),
  };
}

/** The same turn through a DuplexSession. */
async function sessionClient(
  url: string,
  sessions: Module,
): Promise<{ turn: (chunks: Uint8Array[]) => Promise<number>; close: () => Promise<void> }> {
  const session = await sessions.DuplexSession.open({
    mode: sessions.openAIRealtimeMode({ url, apiKey: "sk-bench", model: "gpt-realtime" }),
  });
  const iterator = session.response()[Symbol.asyncIterator]();
  return {
    async turn(chunks) {
      let sentLast = 0;
      for (const chunk of chunks) {
        await session.sendAudio(chunk);
        sentLast = performance.now();
      }
      let first = 0;
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) throw new Error("the session ended during the bench");
        if (value.type === "audio-delta" && first === 0) first = performance.now();
        if (value.type === "turn-end") break;
      }
      return first - sentLast;
    },
    close: () => session.close(),
  };
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  if (!(globalThis as { gc?: unknown }).gc) throw new Error("run with --expose-gc");
  const sessions = await dist("sessions/index.js");
  const testing = await dist("testing/index.js");
  const server = await startServerProcess();
  try {
    const chunks = utteranceChunks(sessions);
    const raw = await rawClient(server.url);
    const duplex = await sessionClient(server.url, sessions);
    const rounds = quick ? 3 : 9;
    const turns = quick ? 20 : 40;
    const loadBefore = loadavg()[0]!;
    for (let warm = 0; warm < 5; warm++) {
      await raw.turn(chunks);
      await duplex.turn(chunks);
    }
    const rawMs: number[] = [];
    const duplexMs: number[] = [];
    const roundRatios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const rawRound: number[] = [];
      const duplexRound: number[] = [];
      for (let index = 0; index < turns; index++) {
        if (index % 2 === 0) {
          rawRound.push(await raw.turn(chunks));
          duplexRound.push(await duplex.turn(chunks));
        } else {
          duplexRound.push(await duplex.turn(chunks));
          rawRound.push(await raw.turn(chunks));
        }
      }
      roundRatios.push(median(duplexRound) / median(rawRound));
      rawMs.push(...rawRound);
      duplexMs.push(...duplexRound);
    }
    raw.close();
    await duplex.close();
    // The figure: the median over rounds of each round's ratio of medians (a loaded machine moves both clients'
    // times by milliseconds from one second to the next; a round pairs them in the same seconds).
    const latency = median(roundRatios);

    const count = 100;
    const before = heapMb();
    const rawClients = [];
    for (let index = 0; index < count; index++) {
      const client = await rawClient(server.url);
      await client.turn(chunks);
      rawClients.push(client);
    }
    const rawHeap = (heapMb() - before) / count;
    for (const client of rawClients) client.close();
    const beforeSessions = heapMb();
    const duplexClients = [];
    for (let index = 0; index < count; index++) {
      const client = await sessionClient(server.url, sessions);
      await client.turn(chunks);
      duplexClients.push(client);
    }
    const duplexHeap = (heapMb() - beforeSessions) / count;
    for (const client of duplexClients) await client.close();
    const beforeVad = heapMb();
    const engine = new testing.ScriptedEngine([testing.script.text("Sure, here it is.")], {
      repeatLast: true,
    });
    const vadSessions = [];
    for (let index = 0; index < count; index++) {
      const session = await sessions.DuplexSession.open({
        mode: sessions.vadMode({ engine, transcriber: { transcribe: async () => "hello" } }),
      });
      const iterator = session.response()[Symbol.asyncIterator]();
      await session.sendText("hello");
      for (;;) {
        const { value } = await iterator.next();
        if (value.type === "turn-end") break;
      }
      vadSessions.push(session);
    }
    const vadHeap = (heapMb() - beforeVad) / count;
    for (const session of vadSessions) await session.close();

    const added = median(duplexMs.map((value, index) => value - rawMs[index]!));
    const rows = [
      "| Figure | geppetto | baseline | ratio |",
      "| --- | --- | --- | --- |",
      `| last input chunk → first output audio chunk, median ms (p90) | ${median(duplexMs).toFixed(2)} (${percentile(duplexMs, 90).toFixed(2)}) | raw ws: ${median(rawMs).toFixed(2)} (${percentile(rawMs, 90).toFixed(2)}) | ${formatRatio(latency)}: median of ${rounds} rounds' ratios (range ${formatRatio(Math.min(...roundRatios))}–${formatRatio(Math.max(...roundRatios))}; target ≤ 1.2: ${latency <= 1.2 ? "met" : "NOT met"}) |`,
      `| added by the session per turn (median of geppetto − raw over the turn pairs), ms | ${added.toFixed(2)} | — | — |`,
      `| heap per idle realtime duplex session (connected, one exchange), KB | ${(duplexHeap * 1024).toFixed(1)} | raw ws connection: ${(rawHeap * 1024).toFixed(1)} | ${formatRatio(duplexHeap / rawHeap)} |`,
      `| heap per idle VAD-mode duplex session (one exchange), KB | ${(vadHeap * 1024).toFixed(1)} | — | — |`,
    ];
    const load = `${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`;
    process.stdout.write(
      `## Duplex sessions (${quick ? "quick" : "full"}, ${rounds} rounds × ${turns} turns per client, load average ${load})\n\n${rows.join("\n")}\n`,
    );
  } finally {
    server.stop();
  }
}

if (process.argv[2] === "server") await serve();
else await main();
