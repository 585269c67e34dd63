/**
 * Transports benchmark: the event router over in-process, Redis Streams and NATS JetStream, every figure a ratio
 * against a baseline measured in the same run.
 *
 * 1. Throughput: the events of 200 concurrent answers (start, N partials, final each, interleaved as concurrent
 *    streams arrive) published as fast as possible; events per second until the handler has them all.
 * 2. Latency: the same stream paced like 200 live answers (one token of each answer every 20 ms, 10,000 events/s);
 *    publish-to-handler latency p50/p99 per event, and what the transport adds over in-process.
 * 3. The inference process's CPU per token (the OpenAI Chat engine over HTTP against bench/server.ts in its own
 *    process): in fresh children, inferences with no sink and with a Redis (or NATS) sink alternate in the same
 *    process after warm-ups, a sink inference measured until every event is written; the ratio of the medians.
 *
 *   npm run build && npx node bench/transports.ts           # full
 *   npm run build && npx node bench/transports.ts --quick   # smaller sizes
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startServer } from "./processes.ts";
import { formatRatio, median, percentile } from "./stats.ts";

type Kind = "in-process" | "redis" | "nats";
interface Core {
  EventRouter: new (options: object) => Router;
  InProcessTransport: new () => object;
  RunContext: { background(): { withSinks(...sinks: object[]): object } };
  newTurn(blocks: unknown[]): object;
  newUserTextBlock(text: string): unknown;
}
interface Router {
  addHandler(name: string, topic: string, handler: (event: Event) => void, options?: object): void;
  sink(topic: string): { publish(event: Event): unknown };
  run(): Promise<void>;
  running: Promise<void>;
  close(): Promise<void>;
}
interface Event {
  type: string;
  meta: { id: string; seq: number; inferenceId?: string };
  delta?: string;
  completion?: string;
  text?: string;
}
interface Connectable {
  connect(): Promise<void>;
}

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const core = (await import(dist("index.js"))) as Core;
const quick = process.argv.includes("--quick");
const ANSWERS = 200;
const TOKENS = quick ? 25 : 100;
const CPU_TOKENS = quick ? 2_000 : 10_000;
const REPETITIONS = quick ? 3 : 5;
/** Inferences of each kind in a CPU child, before and inside its measurement. */
const WARM_UPS = 2;
const MEASURED = quick ? 3 : 6;

async function openTransport(kind: Kind, url: string, name: string): Promise<object> {
  if (kind === "in-process") return new core.InProcessTransport();
  if (kind === "redis") {
    const { RedisStreamsTransport } = await import(dist("transports/redis/index.js"));
    const transport = new RedisStreamsTransport({
      url,
      keyPrefix: `bench:${name}:`,
      maxLength: 1_000_000,
      maxBuffered: 1_000_000,
    });
    await (transport as Connectable).connect();
    return transport;
  }
  const { NatsJetStreamTransport } = await import(dist("transports/nats/index.js"));
  const transport = new NatsJetStreamTransport({
    servers: url,
    stream: `BENCH_${name}`,
    subjectPrefix: `bench.${name}`,
    maxLength: 1_000_000,
    maxBuffered: 1_000_000,
  });
  await (transport as Connectable).connect();
  return transport;
}

/** The events of `ANSWERS` answers, interleaved: round r holds token r of every answer. */
function rounds(): Event[][] {
  const out: Event[][] = [];
  for (let round = 0; round <= TOKENS + 1; round++) {
    const events: Event[] = [];
    for (let answer = 0; answer < ANSWERS; answer++) {
      const meta = { id: `message-${answer}`, seq: round + 1, inferenceId: `inference-${answer}` };
      if (round === 0) events.push({ type: "start", meta });
      else if (round <= TOKENS)
        events.push({ type: "partial", delta: "wörd ", completion: "wörd ".repeat(round), meta });
      else events.push({ type: "final", text: "wörd ".repeat(TOKENS), meta });
    }
    out.push(events);
  }
  return out;
}

let runs = 0;
/** One measurement: a producer and a consumer router, each with its own transport (its own connections). */
async function measure(
  kind: Kind,
  url: string,
  paced: boolean,
): Promise<{ perSecond: number; latencies: number[] }> {
  const name = `${kind.replace("-", "")}${++runs}${paced ? "p" : "t"}`;
  const shared = kind === "in-process" ? await openTransport(kind, url, name) : undefined;
  const consumer = new core.EventRouter({ transport: shared ?? (await openTransport(kind, url, name)) });
  const producer =
    kind === "in-process"
      ? consumer
      : new core.EventRouter({ transport: await openTransport(kind, url, name) });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const total = ANSWERS * (TOKENS + 2);
  const { promise: all, resolve: gotAll } = Promise.withResolvers<void>();
  consumer.addHandler(
    "bench",
    "chat",
    (event) => {
      const key = `${event.meta.inferenceId}#${event.meta.seq}`;
      latencies.push(performance.now() - sentAt.get(key)!);
      if (latencies.length === total) gotAll();
    },
    { from: "beginning", bufferSize: total },
  );
  consumer.run();
  if (producer !== consumer) producer.run();
  const sink = producer.sink("chat");
  const started = performance.now();
  for (const round of rounds()) {
    const now = performance.now();
    for (const event of round) {
      sentAt.set(`${event.meta.inferenceId}#${event.meta.seq}`, now);
      sink.publish(event);
    }
    if (paced) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    all,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${kind}: ${latencies.length} of ${total} events arrived in 120 s`)),
        120_000,
      );
    }),
  ]);
  clearTimeout(timer);
  const elapsed = performance.now() - started;
  if (producer !== consumer) await producer.close();
  await consumer.close();
  return { perSecond: (total / elapsed) * 1000, latencies };
}

/**
 * A child process: CPU microseconds per token of inferences with no sink and with the given sink, alternating in
 * the same process (so the machine's load weighs on both alike), after warm-ups of both. A sink inference is
 * measured until its events are all written (the transport's buffer empty).
 */
async function childCpuPerToken(
  sink: Kind,
  url: string,
  port: number,
): Promise<{ none: number; sink: number }> {
  const { createOpenAIChatEngine } = await import(dist("providers/openai/index.js"));
  const engine = createOpenAIChatEngine({
    model: `text-${CPU_TOKENS}`,
    apiKey: "bench",
    baseURL: `http://127.0.0.1:${port}/v1`,
  });
  const turn = core.newTurn([core.newUserTextBlock("hi")]);
  const transport = await openTransport(sink, url, `cpu${process.pid}`);
  const stats = transport as { stats?(): { buffered: number } };
  const router = new core.EventRouter({ transport });
  router.run();
  const contexts = {
    none: core.RunContext.background(),
    sink: core.RunContext.background().withSinks(router.sink("chat")),
  };
  const written = async () => {
    while ((stats.stats?.().buffered ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  const samples: Record<"none" | "sink", number[]> = { none: [], sink: [] };
  for (let round = 0; round < WARM_UPS + MEASURED; round++) {
    for (const mode of round % 2 === 0 ? (["none", "sink"] as const) : (["sink", "none"] as const)) {
      const before = process.cpuUsage();
      await engine.runInference(turn, contexts[mode]);
      if (mode === "sink") await written();
      const used = process.cpuUsage(before);
      if (round >= WARM_UPS) samples[mode].push((used.user + used.system) / CPU_TOKENS);
    }
  }
  await router.close();
  return { none: median(samples.none), sink: median(samples.sink) };
}

function runChild(sink: Kind, url: string, port: number): Promise<{ none: number; sink: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", sink, url, String(port), ...(quick ? ["--quick"] : [])],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`child ${sink} exited ${code}`)),
    );
  });
}

if (process.argv[2] === "--child") {
  const [, , , sink, url, port] = process.argv;
  process.stdout.write(JSON.stringify(await childCpuPerToken(sink as Kind, url!, Number(port))));
  process.exit(0);
}

const { startNatsServer, startRedisServer } = await import(dist("transports/test-servers.js"));
const redis = await startRedisServer();
const nats = await startNatsServer();
const urls: Record<Kind, string> = { "in-process": "", redis: redis.url, nats: nats.url };
const bench = await startServer();
try {
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  say(
    `# Transports (${quick ? "quick" : "full"}; ${ANSWERS} concurrent answers × ${TOKENS + 2} events; load ${(
      await import("node:os")
    )
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(" ")})`,
  );
  say("");
  say("| transport | events/s (median) | × in-process | p50 ms | p99 ms | p99 added over in-process |");
  say("| --- | --- | --- | --- | --- | --- |");
  const results = new Map<Kind, { perSecond: number; p50: number; p99: number }>();
  for (const kind of ["in-process", "redis", "nats"] as Kind[]) {
    const throughput: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    for (let repetition = 0; repetition < REPETITIONS; repetition++) {
      throughput.push((await measure(kind, urls[kind], false)).perSecond);
      const { latencies } = await measure(kind, urls[kind], true);
      p50.push(percentile(latencies, 50));
      p99.push(percentile(latencies, 99));
    }
    results.set(kind, { perSecond: median(throughput), p50: median(p50), p99: median(p99) });
  }
  const base = results.get("in-process")!;
  for (const [kind, result] of results)
    say(
      `| ${kind} | ${Math.round(result.perSecond)} | ${formatRatio(result.perSecond / base.perSecond)} | ${result.p50.toFixed(3)} | ${result.p99.toFixed(3)} | ${(result.p99 - base.p99).toFixed(3)} ms |`,
    );
  say("");
  say(
    `CPU per token of the inference process (OpenAI Chat engine, text-${CPU_TOKENS}; in each of ${REPETITIONS} fresh children per sink, ${MEASURED} inferences with no sink and ${MEASURED} with the sink alternate after ${WARM_UPS} warm-ups of each; medians):`,
  );
  say("");
  say("| sink | µs CPU / token, no sink | µs CPU / token, with the sink | × no sink | target |");
  say("| --- | --- | --- | --- | --- |");
  for (const sink of ["redis", "nats"] as const) {
    const runs: { none: number; sink: number }[] = [];
    for (let repetition = 0; repetition < REPETITIONS; repetition++)
      runs.push(await runChild(sink, urls[sink], bench.port));
    const ratio = median(runs.map((run) => run.sink / run.none));
    const target = quick ? "(quick: no verdict)" : ratio <= 1.5 ? "≤ 1.5× met" : "≤ 1.5× NOT met";
    say(
      `| ${sink} | ${median(runs.map((run) => run.none)).toFixed(2)} | ${median(runs.map((run) => run.sink)).toFixed(2)} | ${formatRatio(ratio)} | ${target} |`,
    );
  }
} finally {
  await bench.stop();
  await redis.dispose();
  await nats.dispose();
}
