/**
 * The web chat's costs, measured in one run against a baseline of the same run:
 *
 * 1. Streaming: C conversations answer T tokens each at once, one WebSocket client each (the clients, and the
 *    provider server the real engine talks to, run in child processes, so this process's CPU is the web chat
 *    server's alone). Server CPU per token (engine, Session, translation, timeline, WebSocket) as a ratio to
 *    the same engine's own CPU per token streaming the same answers at once with a plain sink, in this
 *    process. Measured for the OpenAI Chat engine over HTTP (the target: at most 2×) and for the
 *    ScriptedEngine, whose near-zero cost shows the web chat's own overhead per token. Medians of 3
 *    interleaved repetitions (1 with --quick).
 * 2. Hydration of a 200-turn conversation (user message, answer and a tool call every 10 turns): server time
 *    of `GET /api/timeline` (snapshot from SQLite + JSON), median of 20. Target: under 50 ms.
 * 3. Memory per idle conversation (open in memory, no answer running, no socket): heap growth over 200.
 *
 *   npm run build && npx node bench/webchat.ts [--quick]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

if (process.argv.includes("--client")) await runClients();
else if (process.argv.includes("--provider")) await runProvider();
else await runBench();

/** Child mode: the local provider server (OpenAI Chat wire) answering T tokens, in its own process. */
async function runProvider(): Promise<void> {
  const providerPath = "../dist/testing/provider-server/index.js";
  const testing = (await import(providerPath)) as typeof import("../src/testing/provider-server/index.ts");
  const tokens = Number(process.argv[process.argv.indexOf("--provider") + 1]);
  const server = await testing.startProviderServer({ response: { script: testing.longText(tokens) } });
  process.stdout.write(`${server.baseURL()}\n`);
}

/** Spawns this file in a child mode; returns its stdout lines. */
function child(args: string[]) {
  const process_ = spawn(process.execPath, [new URL(import.meta.url).pathname, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return { process: process_, lines: createInterface({ input: process_.stdout! })[Symbol.asyncIterator]() };
}

/** Child mode: start C conversations, follow each over a WebSocket, report when every answer is final. */
async function runClients(): Promise<void> {
  const { WebSocket } = await import("ws");
  const [url, countText] = process.argv.slice(process.argv.indexOf("--client") + 1);
  const count = Number(countText);
  let finals = 0;
  let frames = 0;
  const sockets: InstanceType<typeof WebSocket>[] = [];
  for (let index = 0; index < count; index++) {
    const response = await fetch(new URL("/chat", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: `conversation ${index}` }),
    });
    const { conv_id: convId } = (await response.json()) as { conv_id: string };
    const socket = new WebSocket(`${url!.replace("http", "ws")}ws?conv_id=${convId}`);
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { type: string } | { type: string }[];
      for (const frame of Array.isArray(message) ? message : [message]) {
        frames++;
        if (frame.type === "llm.final" && ++finals === count) {
          process.stdout.write(`done ${frames}\n`);
          for (const each of sockets) each.close();
        }
      }
    });
    await new Promise((resolve) => socket.once("open", resolve));
    sockets.push(socket);
  }
  process.stdout.write("ready\n");
}

async function runBench(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const conversations = quick ? 10 : 50;
  const tokens = quick ? 200 : 500;
  const idleCount = quick ? 50 : 200;
  // Compiled modules (run `npm run build` first).
  const webchatPath = "../dist/webchat/index.js";
  const testingPath = "../dist/testing/index.js";
  const eventsPath = "../dist/events/index.js";
  const turnsPath = "../dist/turns/index.js";
  const openaiPath = "../dist/providers/openai/index.js";
  const webchat = (await import(webchatPath)) as typeof import("../src/webchat/index.ts");
  const testing = (await import(testingPath)) as typeof import("../src/testing/index.ts");
  const events = (await import(eventsPath)) as typeof import("../src/events/index.ts");
  const turns = (await import(turnsPath)) as typeof import("../src/turns/index.ts");
  const openai = (await import(openaiPath)) as typeof import("../src/providers/openai/index.ts");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const directory = mkdtempSync(join(tmpdir(), "geppetto-webchat-bench-"));
  const cpu = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  type Engine = import("../src/engine/engine.ts").Engine;

  /** The engine alone: C answers at once with a plain sink; CPU ms per token (median of 3 after a warm-up). */
  const engineAlone = async (engine: () => Engine) => {
    const sink = events.sinkFrom(() => {});
    const once = async () => {
      const start = cpu();
      await Promise.all(
        Array.from({ length: conversations }, () =>
          engine().runInference(
            turns.newTurn([turns.newUserTextBlock("Hi")]),
            events.RunContext.background().withSinks(sink),
          ),
        ),
      );
      return (cpu() - start) / (conversations * tokens);
    };
    await once();
    const runs = [await once(), await once(), await once()].sort((left, right) => left - right);
    return runs[1]!;
  };

  /** The web chat on the same engine: the engine waits at a gate until every client is connected. */
  const throughServer = async (engine: () => Engine, name: string) => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const timeline = await webchat.TimelineStore.open(join(directory, `stream-${name}.db`));
    const server = await webchat.startWebChatServer({
      engine: {
        engine: {
          async runInference(turn, ctx) {
            await gate;
            return engine().runInference(turn, ctx);
          },
        },
      },
      timeline,
      port: 0,
    });
    const clients = child(["--client", server.url, String(conversations)]);
    if ((await clients.lines.next()).value !== "ready") throw new Error("the bench clients did not start");
    const start = cpu();
    const wallStart = performance.now();
    open();
    const done = String((await clients.lines.next()).value);
    const serverMs = (cpu() - start) / (conversations * tokens);
    const wallMs = performance.now() - wallStart;
    await server.close();
    timeline.close();
    return { serverMs, wallMs, frames: Number(done.split(" ")[1]) };
  };

  const answer = Array.from({ length: tokens }, (_, index) => `t${index}`).join(" ");
  const steps = [...testing.script.text(answer), testing.script.stop("stop")];
  const scripted = () => new testing.ScriptedEngine(steps);
  const provider = child(["--provider", String(tokens)]);
  const baseURL = String((await provider.lines.next()).value);
  const openaiEngine = openai.createOpenAIChatEngine({ model: "bench", baseURL, apiKey: "bench", env: {} });
  const real = () => openaiEngine;
  const rows: { name: string; engineMs: number; serverMs: number; wallMs: number; frames: number }[] = [];
  const median = (values: number[]) =>
    [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;
  for (const [name, engine] of [
    ["OpenAI Chat engine over HTTP (provider server in another process)", real],
    ["ScriptedEngine (no I/O: the web chat's own overhead)", scripted],
  ] as const) {
    // Interleaved repetitions, medians: the machine's load changes while the bench runs.
    const alone: number[] = [];
    const served: Awaited<ReturnType<typeof throughServer>>[] = [];
    for (let repetition = 0; repetition < (quick ? 1 : 3); repetition++) {
      alone.push(await engineAlone(engine));
      served.push(await throughServer(engine, `${rows.length}-${repetition}`));
    }
    const serverMs = median(served.map((run) => run.serverMs));
    const run = served.find((each) => each.serverMs === serverMs)!;
    rows.push({ name, engineMs: median(alone), ...run });
  }
  provider.process.kill();

  // Hydration of a 200-turn conversation.
  const history = await webchat.TimelineStore.open(join(directory, "history.db"));
  history.createConversation("long", "A long conversation");
  const paragraph = "A sentence of an answer, about as long as a typical one in a chat. ".repeat(8);
  for (let turn = 0; turn < 200; turn++) {
    history.apply("long", {
      type: "user.message",
      id: `user:${turn}`,
      kind: "user",
      status: "done",
      text: `Question ${turn}?`,
    });
    if (turn % 10 === 0) {
      history.apply("long", {
        type: "tool.start",
        id: `tool:${turn}`,
        kind: "tool",
        status: "streaming",
        data: { name: "calculator", args: { expression: "6 * 7" } },
      });
      history.apply("long", {
        type: "tool.done",
        id: `tool:${turn}`,
        kind: "tool",
        status: "done",
        data: { result: { result: 42 } },
      });
    }
    history.apply("long", { type: "llm.start", id: `msg:${turn}`, kind: "assistant", status: "streaming" });
    for (let piece = 0; piece < 20; piece++)
      history.apply("long", {
        type: "llm.delta",
        id: `msg:${turn}`,
        kind: "assistant",
        append: paragraph.slice(piece * 27, piece * 27 + 27),
      });
    history.apply("long", {
      type: "llm.final",
      id: `msg:${turn}`,
      kind: "assistant",
      status: "done",
      text: paragraph,
      data: { usage: { inputTokens: 100, outputTokens: 120 } },
    });
  }
  history.close();
  const reopened = await webchat.TimelineStore.open(join(directory, "history.db"));
  const hydrations: number[] = [];
  let entities = 0;
  for (let run = 0; run < 21; run++) {
    const start = performance.now();
    const snapshot = reopened.snapshot("long", 0);
    JSON.stringify(snapshot);
    if (run > 0) hydrations.push(performance.now() - start);
    entities = snapshot.entities.length;
  }
  reopened.close();
  hydrations.sort((left, right) => left - right);
  const hydrationMs = hydrations[Math.floor(hydrations.length / 2)]!;

  // Memory per idle conversation.
  const idleTimeline = await webchat.TimelineStore.open(join(directory, "idle.db"));
  const idleServer = await webchat.startWebChatServer({
    engine: {
      engine: new testing.ScriptedEngine(
        [...testing.script.text("Short answer."), testing.script.stop("stop")],
        { repeatLast: true },
      ),
    },
    timeline: idleTimeline,
    port: 0,
  });
  const post = (prompt: string) =>
    fetch(new URL("/chat", idleServer.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt }),
    });
  await post("warm-up");
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let index = 0; index < idleCount; index++) await post(`idle ${index}`);
  while (idleServer.openConversations() < idleCount + 1)
    await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const perIdleKb = (process.memoryUsage().heapUsed - heapBefore) / idleCount / 1024;
  await idleServer.close();
  idleTimeline.close();
  rmSync(directory, { recursive: true, force: true });

  const streamRows = rows.map((row) => {
    const ratio = row.serverMs / row.engineMs;
    return `| ${row.name} | ${(row.engineMs * 1000).toFixed(2)} µs | ${(row.serverMs * 1000).toFixed(2)} µs | ${ratio.toFixed(2)}× | ${row.wallMs.toFixed(0)} ms | ${row.frames} |`;
  });
  const target = rows[0]!.serverMs / rows[0]!.engineMs;
  process.stdout.write(
    `## Web chat (${quick ? "quick" : "full"}: ${conversations} conversations × ${tokens} tokens at once, one WebSocket client each)

| engine | engine alone, plain sink: CPU per token | web chat server: CPU per token | ratio | wall time | frames received |
| --- | --- | --- | --- | --- | --- |
${streamRows.join("\n")}

Target: server CPU per token at most 2× the engine's own (real engine): ${target <= 2 ? "met" : "NOT met"} (${target.toFixed(2)}×).

| measure | value | target |
| --- | --- | --- |
| hydration of a 200-turn conversation (${entities} entities), server time, median of 20 | ${hydrationMs.toFixed(2)} ms | < 50 ms ${hydrationMs < 50 ? "met" : "NOT met"} |
| heap per idle conversation (${idleCount} open, no socket, no answer running) | ${perIdleKb.toFixed(1)} KB | |
`,
  );
}
