/**
 * Tracing benchmark: what observability costs the inference process, every figure a ratio against a baseline
 * measured in the same run.
 *
 * 1. CPU per streamed token of the OpenAI Chat engine over HTTP against bench/server.ts (its own process), a fresh
 *    child per measurement, the cheapest of three inferences after a warm-up one: tracing off, then tracing on with OpenTelemetry's SDK and
 *    its in-memory span exporter (`openTelemetryTracer` from `geppetto/otel`), as a ratio to off.
 * 2. With `--baseline-dist [NAME=]DIR` (a build of another commit, e.g. main before tracing; repeatable): the same
 *    tracing-off measurement and the import cost of `dist/index.js` (CPU and wall time in a fresh process, and the
 *    modules and bytes it loads) with that build, as ratios this build ÷ that one — the ratio of the medians and the median of the per-repetition ratios (each repetition runs every
 *    variant once, interleaved, so a change of machine load touches them alike).
 *
 * Every sample is printed too, with the load average before and after (the machine may be shared).
 *
 *   npm run build && npx node bench/tracing.ts [--quick] [--repetitions N] [--baseline-dist NAME=/path/to/dist]…
 */
import { spawn } from "node:child_process";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ROOT, startServer } from "./processes.ts";
import { formatRatio, median } from "./stats.ts";

const quick = process.argv.includes("--quick");
const TOKENS = quick ? 2_000 : 10_000;
const repetitionsFlag = process.argv.indexOf("--repetitions");
const REPETITIONS = repetitionsFlag >= 0 ? Number(process.argv[repetitionsFlag + 1]) : quick ? 3 : 7;

type Mode = "off" | "memory";

/** Inferences measured per child, after the warm-up one; the child reports the cheapest (the least disturbed). */
const MEASURED = 3;

/** In a child: CPU microseconds per token of the cheapest of MEASURED inferences (after a warm-up one). */
async function childCpuPerToken(mode: Mode, dist: string, port: number): Promise<number> {
  const load = (path: string) => import(pathToFileURL(resolvePath(dist, path)).href);
  const core = await load("index.js");
  const { createOpenAIChatEngine } = await load("providers/openai/index.js");
  const engine = createOpenAIChatEngine({
    model: `text-${TOKENS}`,
    apiKey: "bench",
    baseURL: `http://127.0.0.1:${port}/v1`,
  });
  let context = core.RunContext.background().withSinks({ publish() {} });
  let exporter: { getFinishedSpans(): unknown[]; reset(): void } | undefined;
  if (mode === "memory") {
    const sdk = await import("@opentelemetry/sdk-trace-base");
    const { openTelemetryTracer } = await load("observability/otel/index.js");
    exporter = new sdk.InMemorySpanExporter();
    const provider = new sdk.BasicTracerProvider({
      spanProcessors: [new sdk.SimpleSpanProcessor(exporter as never)],
    });
    context = context.withTracer(openTelemetryTracer({ tracer: provider.getTracer("bench") }));
  }
  const turn = core.newTurn([core.newUserTextBlock("hi")]);
  await engine.runInference(turn, context);
  let cheapest = Number.POSITIVE_INFINITY;
  for (let measured = 0; measured < MEASURED; measured++) {
    const before = process.cpuUsage();
    await engine.runInference(turn, context);
    const used = process.cpuUsage(before);
    cheapest = Math.min(cheapest, used.user + used.system);
  }
  if (exporter && exporter.getFinishedSpans().length !== MEASURED + 1)
    throw new Error("expected one span per inference");
  return cheapest / TOKENS;
}

/** In a child: the wall and CPU milliseconds of `import(dist/index.js)`, the first import of this process. */
async function childImport(dist: string): Promise<{ wallMs: number; cpuMs: number }> {
  const url = pathToFileURL(resolvePath(dist, "index.js")).href;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await import(url);
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** In a child: how many modules, and how many bytes of source, `import(dist/index.js)` loads (deterministic). */
async function childModules(dist: string): Promise<{ modules: number; bytes: number }> {
  const { registerHooks } = await import("node:module");
  let modules = 0;
  let bytes = 0;
  registerHooks({
    load(url, context, next) {
      const loaded = next(url, context);
      if (url.startsWith("file:")) {
        modules++;
        bytes += loaded.source === undefined || loaded.source === null ? 0 : String(loaded.source).length;
      }
      return loaded;
    },
  });
  await import(pathToFileURL(resolvePath(dist, "index.js")).href);
  return { modules, bytes };
}

function runChild(mode: Mode, dist: string, port: number): Promise<number> {
  return runProbe(["--child", mode, dist, String(port), ...(quick ? ["--quick"] : [])]).then(Number);
}

/** Runs this file in a fresh process with `args`; its stdout. */
function runProbe(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    args = [fileURLToPath(import.meta.url), ...args];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`child ${args.join(" ")} exited ${code}`)),
    );
  });
}

if (process.argv[2] === "--child") {
  const [, , , mode, dist, port] = process.argv;
  process.stdout.write(String(await childCpuPerToken(mode as Mode, dist!, Number(port))));
  process.exit(0);
}
if (process.argv[2] === "--import-child") {
  process.stdout.write(JSON.stringify(await childImport(process.argv[3]!)));
  process.exit(0);
}
if (process.argv[2] === "--modules-child") {
  process.stdout.write(JSON.stringify(await childModules(process.argv[3]!)));
  process.exit(0);
}

const here = `${ROOT}dist`;
const baselines: { name: string; dist: string }[] = [];
for (const [index, argument] of process.argv.entries()) {
  if (argument !== "--baseline-dist") continue;
  const value = process.argv[index + 1] ?? "";
  const equals = value.indexOf("=");
  const name = equals > 0 ? value.slice(0, equals) : `baseline ${baselines.length + 1}`;
  baselines.push({ name, dist: resolvePath(equals > 0 ? value.slice(equals + 1) : value) });
}
const loadAverage = async () =>
  (await import("node:os"))
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
const importCost = async (dist: string) =>
  JSON.parse(await runProbe(["--import-child", dist])) as { wallMs: number; cpuMs: number };
const modulesOf = async (dist: string) =>
  JSON.parse(await runProbe(["--modules-child", dist])) as { modules: number; bytes: number };
const loadBefore = await loadAverage();
const server = await startServer();
try {
  const off: number[] = [];
  const memory: number[] = [];
  const importHere: number[] = [];
  const importHereWall: number[] = [];
  const baselineOff = baselines.map(() => [] as number[]);
  const baselineImport = baselines.map(() => [] as number[]);
  const baselineImportWall = baselines.map(() => [] as number[]);
  // Interleaved, so a change of machine load touches every variant alike.
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    off.push(await runChild("off", here, server.port));
    memory.push(await runChild("memory", here, server.port));
    for (const [index, baseline] of baselines.entries())
      baselineOff[index]!.push(await runChild("off", baseline.dist, server.port));
    if (baselines.length > 0) {
      const cost = await importCost(here);
      importHere.push(cost.cpuMs);
      importHereWall.push(cost.wallMs);
    }
    for (const [index, baseline] of baselines.entries()) {
      const cost = await importCost(baseline.dist);
      baselineImport[index]!.push(cost.cpuMs);
      baselineImportWall[index]!.push(cost.wallMs);
    }
  }
  const pairedRatio = (numerators: number[], denominators: number[]) =>
    median(numerators.map((value, index) => value / denominators[index]!));
  const samples = (values: number[]) => values.map((value) => value.toFixed(2)).join(", ");
  const lines = [
    `# Tracing (${quick ? "quick" : "full"}; ${TOKENS}-token OpenAI Chat stream; ${REPETITIONS} repetitions, medians; load ${loadBefore} before, ${await loadAverage()} after)`,
    "",
    "| variant | CPU µs per token (median) | ratio of medians | median of paired ratios | samples |",
    "| --- | --- | --- | --- | --- |",
    `| tracing off | ${median(off).toFixed(2)} | 1.00× | 1.00× | ${samples(off)} |`,
    `| OpenTelemetry, in-memory exporter ÷ off (target ≤ 1.10×) | ${median(memory).toFixed(2)} | ${formatRatio(median(memory) / median(off))} | ${formatRatio(pairedRatio(memory, off))} | ${samples(memory)} |`,
  ];
  for (const [index, baseline] of baselines.entries()) {
    const values = baselineOff[index]!;
    lines.push(
      `| this build, tracing off ÷ ${baseline.name}, off | ${median(values).toFixed(2)} | ${formatRatio(median(off) / median(values))} | ${formatRatio(pairedRatio(off, values))} | ${samples(values)} |`,
    );
  }
  if (baselines.length > 0) {
    const importTable = (what: string, here: number[], theirs: number[][]) => {
      lines.push(
        "",
        `| import of dist/index.js, ${what} | ms (median) | ratio of medians | median of paired ratios | samples |`,
        "| --- | --- | --- | --- | --- |",
        `| this build | ${median(here).toFixed(1)} | 1.00× | 1.00× | ${samples(here)} |`,
      );
      for (const [index, baseline] of baselines.entries()) {
        const values = theirs[index]!;
        lines.push(
          `| this build ÷ ${baseline.name} | ${median(values).toFixed(1)} | ${formatRatio(median(here) / median(values))} | ${formatRatio(pairedRatio(here, values))} | ${samples(values)} |`,
        );
      }
    };
    importTable("CPU time", importHere, baselineImport);
    importTable("wall time", importHereWall, baselineImportWall);
    lines.push(
      "",
      "| modules loaded by import of dist/index.js | modules | KB of source |",
      "| --- | --- | --- |",
    );
    for (const { name, dist } of [{ name: "this build", dist: here }, ...baselines]) {
      const { modules, bytes } = await modulesOf(dist);
      lines.push(`| ${name} | ${modules} | ${(bytes / 1024).toFixed(1)} |`);
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  await server.stop();
}
