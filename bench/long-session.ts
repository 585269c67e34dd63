/**
 * The long-session scenario: one conversation of N user/answer turns (default 1,000) through a Session with a
 * persister, and what each turn costs as the conversation grows. Reported as ratios (late turns against early
 * turns, bytes written against the bytes that are new, file and heap against the conversation's own JSON), never
 * as absolute times. Each configuration runs in a fresh process (`--child`), so heaps do not mix.
 *
 *   npm run build && npx node --expose-gc bench/long-session.ts [--turns 1000] [--dist DIR] [--json]
 *
 * `--dist DIR` measures another build of geppetto (for example the previous commit's `dist/`), so a before/after
 * comparison runs both in one invocation: `--dist ../before/dist --dist dist`.
 *
 * Configurations: store sqlite | memory × engine scripted | openai (the OpenAI Chat engine over HTTP against the
 * bench's provider server in its own process, answering 100 tokens of about 270 bytes per SSE event).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { getHeapSpaceStatistics } from "node:v8";
import type { TurnStore } from "../src/session/index.ts";
import type { SnapshotPhase } from "../src/toolloop/snapshot.ts";
import type { Block, Turn } from "../src/turns/types.ts";
import { ROOT, startServer } from "./processes.ts";

/** What one configuration measured. */
export interface LongSessionFigures {
  store: string;
  engine: string;
  turns: number;
  /**
   * Median CPU time of this process per turn (user + system), turns 11–20 and the last ten, in ms (only their
   * ratio is reported). CPU, not wall time: with the OpenAI engine the provider server (another process) reads the
   * whole conversation on every request, which is the provider's work, not geppetto's.
   */
  earlyTurnMs: number;
  lateTurnMs: number;
  /** The same as wall time, for reference. */
  earlyWallMs: number;
  lateWallMs: number;
  /** Bytes the store wrote per turn (the rows' values; whole-turn JSON per save for stores without stats). */
  earlyStoreBytes: number;
  lateStoreBytes: number;
  /** Bytes of the JSON of the last turns' new blocks plus their metadata and data, per turn. */
  lateNewBytes: number;
  /** Bytes written to disk per turn (write_bytes of /proc/self/io, WAL checkpointed at both ends of a window). */
  earlyDiskBytes: number;
  lateDiskBytes: number;
  /** The SQLite file (after a checkpoint) and the final conversation's JSON. */
  fileBytes: number;
  conversationBytes: number;
  /**
   * Heap growth (after full collections) from turn 100 to the last turn, and the growth of the conversation's
   * JSON over the same turns: the heap a turn adds against what the turn adds. Measured from turn 100 so that the
   * JIT's code and the warm-up (fixed costs that do not grow with turns) stay out of it.
   */
  heapGrowthBytes: number;
  conversationGrowthBytes: number;
}

const PROMPT =
  "Wie lange dauert die Überfahrt von Kiel nach Oslo, und welche Kabine empfehlen Sie für zwei Personen? ";
const ANSWER_WORDS =
  "Die Fähre braucht etwa zwanzig Stunden; eine Außenkabine mit Fenster ist für zwei Personen bequem, und das Frühstück ist inbegriffen. ".split(
    /(?<= )/,
  );

function diskWrites(): number {
  const match = /write_bytes: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"));
  return match ? Number(match[1]) : 0;
}

/**
 * The heap that holds data: every V8 space but those of code and bytecode (compiled code comes and goes with the
 * JIT and bytecode flushing, whatever the conversation holds).
 */
function dataHeap(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (!/code|trusted/.test(space.space_name)) used += space.space_used_size;
  }
  return used;
}

/** A full collection, after finalizers (fetch's) have had their turn, so the heap holds only what is live. */
async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("long-session: run with --expose-gc");
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Geppetto {
  core: typeof import("../src/index.ts");
  session: typeof import("../src/session/index.ts");
  testing: typeof import("../src/testing/index.ts");
  openai: typeof import("../src/providers/openai/index.ts");
}

async function load(dist: string): Promise<Geppetto> {
  const at = (path: string) => import(pathToFileURL(join(dist, path)).href);
  return {
    core: await at("index.js"),
    session: await at("session/index.js"),
    testing: await at("testing/index.js"),
    openai: await at("providers/openai/index.js"),
  };
}

/**
 * The cheapest honest client of the same conversation: plain message objects, `JSON.stringify` of the whole
 * conversation per request (the Chat Completions wire carries it all every time), fetch, a newline search for the
 * SSE framing and `JSON.parse` per event. No store, no session. Its CPU per turn late ÷ early is the growth the
 * protocol itself imposes.
 */
async function floorChild(turns: number, port: number): Promise<{ earlyTurnMs: number; lateTurnMs: number }> {
  const messages: { role: string; content: string }[] = [];
  const ask = async (prompt: string) => {
    messages.push({ role: "user", content: prompt });
    const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench-key" },
      body: JSON.stringify({
        model: "text-100",
        messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    const decoder = new TextDecoder();
    let buffer = "";
    let answer = "";
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
        const event = JSON.parse(line.slice(6)) as { choices: { delta?: { content?: string } }[] };
        answer += event.choices[0]?.delta?.content ?? "";
      }
    }
    messages.push({ role: "assistant", content: answer });
  };
  for (let turn = 0; turn < 30; turn++) await ask(`${PROMPT}${turn}`);
  messages.length = 0;
  const times: number[] = [];
  for (let turn = 0; turn < turns; turn++) {
    const before = process.cpuUsage();
    await ask(`${PROMPT}${turn}`);
    const cpu = process.cpuUsage(before);
    times.push((cpu.user + cpu.system) / 1000);
  }
  return { earlyTurnMs: median(times.slice(10, 20)), lateTurnMs: median(times.slice(turns - 10)) };
}

async function child(options: {
  dist: string;
  store: string;
  engine: string;
  turns: number;
  port?: number;
}): Promise<LongSessionFigures> {
  const geppetto = await load(options.dist);
  const { Session, EngineBuilder, MemoryTurnStore, openSqliteTurnStore } = geppetto.session;
  const { DatabaseSync } = await import("node:sqlite");
  const directory = mkdtempSync(join(tmpdir(), "geppetto-long-"));
  const dbPath = join(directory, "sessions.db");
  const store: TurnStore =
    options.store === "sqlite" ? await openSqliteTurnStore(dbPath) : new MemoryTurnStore();
  const checkpointer = options.store === "sqlite" ? new DatabaseSync(dbPath) : undefined;
  const checkpoint = () => checkpointer?.exec("PRAGMA wal_checkpoint(TRUNCATE)");

  let storeBytes = 0;
  const statsOf = (store as { stats?: () => { bytesWritten: number } }).stats?.bind(store);
  const measured = {
    async save(sessionId: string, turn: Turn, phase: SnapshotPhase) {
      if (!statsOf) storeBytes += geppetto.core.turnToJson(turn, undefined).length;
      await store.save(sessionId, turn, phase);
    },
  };
  const persister = new Proxy(store, {
    get: (target, key) => (key === "save" ? measured.save : Reflect.get(target, key, target)),
  });
  const written = () => statsOf?.().bytesWritten ?? storeBytes;

  const engine =
    options.engine === "scripted"
      ? new geppetto.testing.ScriptedEngine(() => ANSWER_WORDS.map((text) => ({ type: "text", text })), {
          repeatLast: true,
        })
      : geppetto.openai.createOpenAIChatEngine({
          model: "text-100",
          apiKey: "bench-key",
          baseURL: `http://127.0.0.1:${options.port}/v1`,
        });
  const runner = new EngineBuilder().withBase(engine).withPersister(persister);
  // Warm the JIT on another session of the same store first, so turns 11–20 are not measured cold (a cold early
  // window would make the late/early ratio look better than it is).
  const warm = new Session({ runner });
  for (let turn = 0; turn < 30; turn++) {
    warm.appendNewTurnFromUserPrompt(`${PROMPT}${turn}`);
    await warm.startInference().wait();
  }
  const session = new Session({ runner });

  let heapBefore = 0;
  let conversationBefore = 0;
  const times: number[] = [];
  const walls: number[] = [];
  const storeWrites: number[] = [];
  const disk: number[] = [];
  let newBytes: number[] = [];
  const early = [10, 20];
  const late = [options.turns - 10, options.turns];
  for (let turn = 0; turn < options.turns; turn++) {
    if (turn === 100) {
      conversationBefore = geppetto.core.turnToJson(session.latest()!, undefined).length;
      await collectGarbage();
      heapBefore = dataHeap();
    }
    const inWindow = (turn >= early[0]! && turn < early[1]!) || (turn >= late[0]! && turn < late[1]!);
    if (inWindow) checkpoint();
    const diskBefore = diskWrites();
    const bytesBefore = written();
    const before = session.latest();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    session.appendNewTurnFromUserPrompt(`${PROMPT}${turn}`);
    const out = await session.startInference().wait();
    const cpu = process.cpuUsage(cpuBefore);
    walls.push(performance.now() - started);
    const elapsed = (cpu.user + cpu.system) / 1000;
    if (inWindow) checkpoint();
    times.push(elapsed);
    storeWrites.push(written() - bytesBefore);
    disk.push(diskWrites() - diskBefore);
    if (turn >= late[0]!) {
      const known = new Set((before?.blocks ?? []).map((block: { id: string }) => block.id));
      const fresh = out.blocks.filter((block: { id: string }) => !known.has(block.id));
      newBytes.push(
        JSON.stringify(fresh).length + JSON.stringify(out.metadata).length + JSON.stringify(out.data).length,
      );
    }
  }
  const latest = session.latest()!;
  const conversationBytes = geppetto.core.turnToJson(latest, undefined).length;
  await collectGarbage();
  const heapGrowthBytes = dataHeap() - heapBefore;
  checkpoint();
  let fileBytes = 0;
  if (options.store === "sqlite") {
    for (const suffix of ["", "-wal"]) {
      try {
        fileBytes += statSync(dbPath + suffix).size;
      } catch {}
    }
  }
  checkpointer?.close();
  await store.close?.();
  rmSync(directory, { recursive: true, force: true });
  const window = (values: number[], [from, to]: number[]) => median(values.slice(from, to));
  const lateNewBytes = median(newBytes);
  newBytes = [];
  return {
    store: options.store,
    engine: options.engine,
    turns: options.turns,
    earlyTurnMs: window(times, early),
    lateTurnMs: window(times, late),
    earlyWallMs: window(walls, early),
    lateWallMs: window(walls, late),
    earlyStoreBytes: window(storeWrites, early),
    lateStoreBytes: window(storeWrites, late),
    lateNewBytes,
    earlyDiskBytes: window(disk, early),
    lateDiskBytes: window(disk, late),
    fileBytes,
    conversationBytes,
    heapGrowthBytes,
    conversationGrowthBytes: conversationBytes - conversationBefore,
  };
}

function runChild(args: string[]): Promise<LongSessionFigures> {
  return new Promise((resolvePromise, reject) => {
    const process_ = spawn(
      process.execPath,
      ["--expose-gc", "--no-flush-bytecode", import.meta.filename, "--child", ...args],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    process_.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    process_.once("exit", (code) => {
      if (code === 0) resolvePromise(JSON.parse(output) as LongSessionFigures);
      else reject(new Error(`long-session child ${args.join(" ")} exited with ${code}`));
    });
  });
}

function runFloor(args: string[]): Promise<{ earlyTurnMs: number; lateTurnMs: number }> {
  return new Promise((resolvePromise, reject) => {
    const process_ = spawn(process.execPath, ["--no-flush-bytecode", import.meta.filename, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    process_.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    process_.once("exit", (code) => {
      if (code === 0) resolvePromise(JSON.parse(output) as { earlyTurnMs: number; lateTurnMs: number });
      else reject(new Error(`long-session floor exited with ${code}`));
    });
  });
}

/** The ratios the issue's targets are stated in. */
export function ratios(figures: LongSessionFigures) {
  return {
    lateOverEarlyTime: figures.lateTurnMs / figures.earlyTurnMs,
    lateOverEarlyWall: figures.lateWallMs / figures.earlyWallMs,
    storeBytesOverNew: figures.lateStoreBytes / figures.lateNewBytes,
    lateOverEarlyDisk: figures.earlyDiskBytes > 0 ? figures.lateDiskBytes / figures.earlyDiskBytes : 1,
    fileOverConversation: figures.fileBytes / figures.conversationBytes,
    heapOverConversation: figures.heapGrowthBytes / figures.conversationGrowthBytes,
  };
}

/** Targets of the long-session scenario (issue "A repository that stands on its own…"). */
export const TARGETS = {
  lateOverEarlyTime: 2,
  lateOverEarlyWall: Number.POSITIVE_INFINITY,
  storeBytesOverNew: 2,
  lateOverEarlyDisk: 1.5,
  fileOverConversation: 3,
  heapOverConversation: 3,
};

/**
 * `sessions list` and `chat --resume` on a store of 100 sessions × 200 turns against a store of one such session:
 * both must answer in about the same time (neither reads the turns of the sessions it does not show).
 */
async function manySessions(dist: string): Promise<{ listRatio: number; resumeRatio: number }> {
  const { openSqliteTurnStore } = (await import(
    pathToFileURL(join(dist, "session/index.js")).href
  )) as Geppetto["session"];
  const core = (await import(pathToFileURL(join(dist, "index.js")).href)) as Geppetto["core"];
  const directory = mkdtempSync(join(tmpdir(), "geppetto-many-"));
  const build = async (file: string, sessions: number) => {
    const store = await openSqliteTurnStore(file);
    for (let session = 0; session < sessions; session++) {
      let blocks: Block[] = [];
      for (let turn = 0; turn < 200; turn++) {
        blocks = [...blocks, core.newUserTextBlock(`${PROMPT}${turn}`)];
        const id = core.newId();
        await store.save(`session-${session}`, { id, blocks, metadata: {}, data: {} }, "pre_inference");
        blocks = [...blocks, core.newAssistantTextBlock(ANSWER_WORDS.join(""))];
        await store.save(`session-${session}`, { id, blocks, metadata: {}, data: {} }, "final");
      }
    }
    await store.close();
  };
  const many = join(directory, "many.db");
  const one = join(directory, "one.db");
  await build(many, 100);
  await build(one, 1);
  const bin = join(dist, "..", "bin", "geppetto.js");
  const timeProcess = async (args: string[]) => {
    const times: number[] = [];
    for (let run = 0; run < 7; run++) {
      const started = performance.now();
      await new Promise<void>((resolvePromise, reject) => {
        const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "ignore", "inherit"] });
        child.once("exit", (code) =>
          code === 0 ? resolvePromise() : reject(new Error(`${args.join(" ")}: exit ${code}`)),
        );
      });
      times.push(performance.now() - started);
    }
    return median(times);
  };
  const { openChatConversation } = await import(
    pathToFileURL(join(dist, "cli/chat/session-backend.js")).href
  );
  const timeResume = async (file: string) => {
    const times: number[] = [];
    for (let run = 0; run < 16; run++) {
      const started = performance.now();
      const conversation = await openChatConversation({ dbPath: file, resume: true });
      times.push(performance.now() - started);
      await conversation.store.close();
    }
    return median(times.slice(1)); // the first open of each file warms the page cache
  };
  const listRatio =
    (await timeProcess(["sessions", "list", "--db", many])) /
    (await timeProcess(["sessions", "list", "--db", one]));
  const resumeRatio = (await timeResume(many)) / (await timeResume(one));
  rmSync(directory, { recursive: true, force: true });
  return { listRatio, resumeRatio };
}

async function main(argv: string[]): Promise<void> {
  const value = (name: string) => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  if (argv.includes("--floor")) {
    process.stdout.write(JSON.stringify(await floorChild(Number(value("--turns")), Number(value("--port")))));
    return;
  }
  if (argv.includes("--child")) {
    const port = value("--port");
    const figures = await child({
      dist: value("--dist")!,
      store: value("--store")!,
      engine: value("--engine")!,
      turns: Number(value("--turns")),
      ...(port ? { port: Number(port) } : {}),
    });
    process.stdout.write(JSON.stringify(figures));
    return;
  }
  const turns = value("--turns") ?? "1000";
  const dists = argv.flatMap((arg, index) => (argv[index - 1] === "--dist" ? [resolve(arg)] : []));
  if (dists.length === 0) dists.push(join(ROOT, "dist"));
  const server = await startServer();
  const rows: string[] = [];
  try {
    for (const dist of dists) {
      for (const store of ["sqlite", "memory"]) {
        for (const engine of ["scripted", "openai"]) {
          const figures = await runChild([
            "--dist",
            dist,
            "--store",
            store,
            "--engine",
            engine,
            "--turns",
            turns,
            "--port",
            String(server.port),
          ]);
          const ratio = ratios(figures);
          if (argv.includes("--json")) rows.push(JSON.stringify({ dist, ...figures, ratios: ratio }));
          else
            rows.push(
              `| ${dist === join(ROOT, "dist") ? "this build" : dist} | ${store} | ${engine} | ${Object.entries(
                ratio,
              )
                .map(
                  ([key, number]) =>
                    `${number.toFixed(2)}${number <= TARGETS[key as keyof typeof TARGETS] ? "" : " ✗"}`,
                )
                .join(" | ")} |`,
            );
        }
      }
    }
    const floor = await runFloor(["--floor", "--turns", turns, "--port", String(server.port)]);
    const ratio = floor.lateTurnMs / floor.earlyTurnMs;
    if (argv.includes("--json")) rows.push(JSON.stringify({ floor, ratio }));
    else rows.push(`| floor (fetch + JSON, no store) | — | openai wire | ${ratio.toFixed(2)} | | | | | |`);
  } finally {
    await server.stop();
  }
  if (!argv.includes("--json")) {
    rows.unshift(
      `| build | store | engine | CPU/turn, turns ${Number(turns) - 9}–${turns} ÷ 11–20 (≤ 2) | wall/turn, same (no target) | store bytes ÷ new bytes (≤ 2) | disk/turn late ÷ early (≤ 1.5) | file ÷ conversation JSON (≤ 3) | heap growth ÷ conversation growth, turns 100–${turns} (≤ 3) |`,
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    );
  }
  if (!argv.includes("--no-many")) {
    const { listRatio, resumeRatio } = await manySessions(dists.at(-1)!);
    rows.push(
      "",
      "| 100 sessions × 200 turns ÷ 1 session × 200 turns (≤ 2) | ratio |",
      "| --- | --- |",
      `| \`geppetto sessions list\` (whole command) | ${listRatio.toFixed(2)}${listRatio <= 2 ? "" : " ✗"} |`,
      `| \`chat --resume\`: opening the last session | ${resumeRatio.toFixed(2)}${resumeRatio <= 2 ? "" : " ✗"} |`,
    );
  }
  process.stdout.write(`${rows.join("\n")}\n`);
}

await main(process.argv.slice(2));
