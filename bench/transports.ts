/**
 * Transports benchmark: the event router over in-process, Redis Streams and NATS JetStream (real servers), every
 * figure against a reference measured in the same run, the variants rotated in each of the rounds.
 *
 * 1. Latency: the events of N concurrent answers paced like live ones (one token of each answer every 20 ms,
 *    the answers spread over those 20 ms; 200 answers are 10,000 events/s), published in one process and handled
 *    in ANOTHER (two processes, as in a deployment: one process measuring both would measure its own queueing on
 *    a 2-core machine); the time from `publish` to the handler per event, p50 / p99, at N = 1, 10, 50 and 200.
 *    The in-process transport, the reference, can only run in one process.
 * 2. Throughput: the events of 200 answers published at once; events per second until the handler has them all.
 * 3. The inference process's CPU per token (the OpenAI Chat engine over HTTP against bench/server.ts in its own
 *    process): in fresh children, inferences with no sink and with a Redis (or NATS) sink alternate in the same
 *    process after warm-ups, a sink inference measured until every event is written; the median of the children's
 *    ratios.
 *
 * `--cpu-only` runs part 3 alone (with `--rounds N` and `--baseline`: the quick check of the CPU target).
 *
 * `--baseline NAME=DIR` (repeatable) measures another build (the `dist/` of a worktree at an older commit, built
 * with `npx tsc -p tsconfig.build.json`) in the same run, beside `dist/`: 200 answers and the CPU ratio.
 *
 *   npm run build && npx node bench/transports.ts [--quick] [--cpu-only] [--rounds N] [--baseline NAME=DIR]…
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startServer } from "./processes.ts";
import { formatRatio, median, percentile, rotate } from "./stats.ts";

type Kind = "in-process" | "redis" | "nats" | "redis-raw" | "nats-raw";
const quick = process.argv.includes("--quick");
const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};
/** `redis-raw` and `nats-raw`: the floor, the clients alone (see transports-child.ts), in this build's rows only. */
const KINDS = (argument("--kinds")?.split(",") ?? [
  "in-process",
  "redis-raw",
  "redis",
  "nats-raw",
  "nats",
]) as Kind[];
const ROUNDS = Number(argument("--rounds") ?? (quick ? 3 : 5));
const TOKENS = quick ? 25 : 100;
const ANSWER_COUNTS = argument("--answers")?.split(",").map(Number) ?? (quick ? [1, 200] : [1, 10, 50, 200]);
const CPU = !process.argv.includes("--no-cpu");
const CPU_ONLY = process.argv.includes("--cpu-only");
const CPU_TOKENS = quick ? 2_000 : 10_000;
const CPU_MEASURED = quick ? 3 : 6;
const builds = new Map<string, string>([["this", fileURLToPath(new URL("../dist", import.meta.url))]]);
for (let at = 0; at < process.argv.length; at++)
  if (process.argv[at] === "--baseline") {
    const [name, directory] = process.argv[at + 1]!.split("=");
    builds.set(name!, directory!);
  }
const CHILD = fileURLToPath(new URL("transports-child.ts", import.meta.url));
/** Node options of the children, e.g. `--child-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"` to profile them. */
const CHILD_NODE_ARGS = argument("--child-node-args")?.split(" ").filter(Boolean) ?? [];

/** Runs a child of transports-child.ts; `lines` sees its output line by line; resolves with its last line. */
function child(
  args: string[],
  lines?: (line: string, stdin: NodeJS.WritableStream) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [...CHILD_NODE_ARGS, CHILD, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let last = "";
    createInterface({ input: process_.stdout! }).on("line", (line) => {
      last = line;
      lines?.(line, process_.stdin!);
    });
    const timer = setTimeout(() => process_.kill("SIGKILL"), 180_000);
    process_.once("exit", (code) => {
      clearTimeout(timer);
      code === 0 ? resolve(last) : reject(new Error(`${args.join(" ")}: exited ${code}`));
    });
  });
}

let runs = 0;
/** One run: the latency of every event (ms) and the events per second. */
async function measure(
  build: string,
  kind: Kind,
  url: string,
  answers: number,
  paced: boolean,
): Promise<{ latencies: number[]; perSecond: number; cpu: CpuPerEvent }> {
  const dist = builds.get(build)!;
  const name = `${kind.replace("-", "")}${process.pid}r${++runs}`;
  const shape = [name, String(answers), String(TOKENS)];
  const pacing = paced ? "paced" : "burst";
  let sentAt: number[];
  let receivedAt: number[];
  let producerMs = 0;
  let consumerMs = 0;
  const server = kind === "in-process" ? undefined : kind.startsWith("redis") ? redis : nats;
  let serverBefore = 0;
  if (kind === "in-process") {
    ({
      sentAt,
      receivedAt,
      cpuMs: consumerMs,
    } = JSON.parse(await child(["both", kind, url, ...shape, pacing, dist])));
  } else {
    // The consumer reads live before the producer publishes; the producer starts once both are connected.
    const consumerReady = Promise.withResolvers<void>();
    const producerConnected = Promise.withResolvers<NodeJS.WritableStream>();
    const consumer = child(["consume", kind, url, ...shape, dist], (line) => {
      if (line === "ready") consumerReady.resolve();
    });
    const producer = child(["produce", kind, url, ...shape, pacing, dist], (line, stdin) => {
      if (line === "connected") producerConnected.resolve(stdin);
    });
    consumer.catch(consumerReady.reject);
    producer.catch(producerConnected.reject);
    await consumerReady.promise;
    const stdin = await producerConnected.promise;
    serverBefore = await cpuOf(server!.pid);
    stdin.write("go\n");
    [{ sentAt, cpuMs: producerMs }, { receivedAt, cpuMs: consumerMs }] = [
      JSON.parse(await producer),
      JSON.parse(await consumer),
    ];
  }
  const serverMs = server ? (await cpuOf(server.pid)) - serverBefore : 0;
  const latencies = receivedAt.map((at, index) => at - sentAt[index]!);
  const elapsed = Math.max(...receivedAt) - Math.min(...sentAt);
  const perEvent = (ms: number) => (ms * 1000) / receivedAt.length;
  return {
    latencies,
    perSecond: (receivedAt.length / elapsed) * 1000,
    cpu: { producer: perEvent(producerMs), consumer: perEvent(consumerMs), server: perEvent(serverMs) },
  };
}

/** CPU µs per event of the producer, the consumer (in-process: the one process) and the server. */
interface CpuPerEvent {
  producer: number;
  consumer: number;
  server: number;
}

/** Milliseconds of CPU a process has used (from /proc, in clock ticks of 10 ms). */
async function cpuOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const dist = builds.get("this")!;
const { startNatsServer, startRedisServer } = await import(`${dist}/transports/test-servers.js`);
const redis = await startRedisServer();
const nats = await startNatsServer();
const urls: Record<Kind, string> = {
  "in-process": "",
  redis: redis.url,
  nats: nats.url,
  "redis-raw": redis.url,
  "nats-raw": nats.url,
};
const bench = await startServer();
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
try {
  const say = (line = "") => process.stdout.write(`${line}\n`);
  say(
    `# Transports (${quick ? "quick" : "full"}; ${ROUNDS} rounds; ${TOKENS + 2} events per answer; builds: ${[...builds].map(([name, directory]) => `${name} = ${directory}`).join(", ")}; load at start ${load()})`,
  );
  interface Variant {
    build: string;
    kind: Kind;
    answers: number;
    paced: boolean;
  }
  const variants: Variant[] = [];
  for (const [build] of builds)
    for (const kind of KINDS.filter((candidate) => build === "this" || !candidate.endsWith("-raw"))) {
      for (const answers of build === "this" ? ANSWER_COUNTS : [200])
        variants.push({ build, kind, answers, paced: true });
      variants.push({ build, kind, answers: 200, paced: false });
    }
  const key = (variant: Variant) => `${variant.build}|${variant.kind}|${variant.answers}|${variant.paced}`;
  const samples = new Map<
    string,
    { p50: number[]; p99: number[]; perSecond: number[]; cpu: CpuPerEvent[] }
  >();
  for (let round = 0; round < (CPU_ONLY ? 0 : ROUNDS); round++) {
    for (const variant of rotate(variants, round * 3)) {
      const { latencies, perSecond, cpu } = await measure(
        variant.build,
        variant.kind,
        urls[variant.kind],
        variant.answers,
        variant.paced,
      );
      const entry = samples.get(key(variant)) ?? { p50: [], p99: [], perSecond: [], cpu: [] };
      entry.cpu.push(cpu);
      entry.p50.push(percentile(latencies, 50));
      entry.p99.push(percentile(latencies, 99));
      entry.perSecond.push(perSecond);
      samples.set(key(variant), entry);
    }
    say(`(round ${round + 1} of ${ROUNDS} done, load ${load()})`);
  }
  if (!CPU_ONLY) {
    const spread = (values: number[]) =>
      `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
    say();
    say(
      "Publish → handler latency per event, producer and consumer in two processes (in-process: one); ms, median of the rounds (min–max):",
    );
    say();
    say("| build | transport | answers | p50 ms | p99 ms | p99 added over in-process |");
    say("| --- | --- | --- | --- | --- | --- |");
    for (const variant of variants.filter((candidate) => candidate.paced)) {
      const entry = samples.get(key(variant))!;
      const reference = samples.get(key({ ...variant, kind: "in-process" }));
      const added =
        variant.kind === "in-process" || !reference
          ? "—"
          : `${(median(entry.p99) - median(reference.p99)).toFixed(2)} ms`;
      say(
        `| ${variant.build} | ${variant.kind} | ${variant.answers} | ${spread(entry.p50)} | ${spread(entry.p99)} | ${added} |`,
      );
    }
    say();
    say("Throughput, the events of 200 answers published at once (events/s, median of the rounds):");
    say();
    say("| build | transport | events/s | × in-process |");
    say("| --- | --- | --- | --- |");
    for (const variant of variants.filter((candidate) => !candidate.paced)) {
      const perSecond = median(samples.get(key(variant))!.perSecond);
      const reference = median(samples.get(key({ ...variant, kind: "in-process" }))?.perSecond ?? []);
      say(
        `| ${variant.build} | ${variant.kind} | ${Math.round(perSecond)} | ${formatRatio(perSecond / reference)} |`,
      );
    }
    say();
    say(
      "CPU per event of each process, µs (median of the rounds; the server's from /proc in 10 ms ticks; in-process: producer and consumer are one process):",
    );
    say();
    say("| build | transport | answers | pacing | producer | consumer | server |");
    say("| --- | --- | --- | --- | --- | --- | --- |");
    for (const variant of variants) {
      const cpu = samples.get(key(variant))!.cpu;
      const of = (field: keyof CpuPerEvent) => median(cpu.map((sample) => sample[field])).toFixed(1);
      say(
        `| ${variant.build} | ${variant.kind} | ${variant.answers} | ${variant.paced ? "paced" : "burst"} | ${variant.kind === "in-process" ? "—" : of("producer")} | ${of("consumer")} | ${variant.kind === "in-process" ? "—" : of("server")} |`,
      );
    }
  }
  if (CPU) await measureCpu(say);
  say();
  say(`Load at the end: ${load()}`);
} finally {
  await bench.stop();
  await redis.dispose();
  await nats.dispose();
}

async function measureCpu(say: (line?: string) => void): Promise<void> {
  say();
  say(
    `CPU per token of the inference process (OpenAI Chat engine, text-${CPU_TOKENS}; in each of ${ROUNDS} fresh children per sink and build, ${CPU_MEASURED} inferences with no sink and ${CPU_MEASURED} with the sink alternate after 2 warm-ups of each; medians; load ${load()}):`,
  );
  say();
  say(
    "| build | sink | µs / token, no sink | µs / token, with the sink | × no sink (median of children, min–max) | target |",
  );
  say("| --- | --- | --- | --- | --- | --- |");
  const cpu = new Map<string, { none: number; sink: number }[]>();
  const cpuVariants = [...builds.keys()].flatMap((build) =>
    (["redis", "nats"] as const).map((sink) => ({ build, sink })),
  );
  for (let round = 0; round < ROUNDS; round++)
    for (const { build, sink } of rotate(cpuVariants, round)) {
      const args = [
        "cpu",
        sink,
        urls[sink],
        String(bench.port),
        String(CPU_TOKENS),
        String(CPU_MEASURED),
        builds.get(build)!,
      ];
      const list = cpu.get(`${build}|${sink}`) ?? [];
      list.push(JSON.parse(await child(args)));
      cpu.set(`${build}|${sink}`, list);
    }
  for (const { build, sink } of cpuVariants) {
    const list = cpu.get(`${build}|${sink}`)!;
    const ratios = list.map((run) => run.sink / run.none);
    const ratio = median(ratios);
    const target = quick ? "(quick: no verdict)" : ratio <= 1.5 ? "≤ 1.5× met" : "≤ 1.5× NOT met";
    say(
      `| ${build} | ${sink} | ${median(list.map((run) => run.none)).toFixed(2)} | ${median(list.map((run) => run.sink)).toFixed(2)} | ${formatRatio(ratio)} (${formatRatio(Math.min(...ratios))}–${formatRatio(Math.max(...ratios))}) | ${target} |`,
    );
  }
}
