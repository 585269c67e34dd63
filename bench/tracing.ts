/**
 * Tracing benchmark: what observability costs the inference process, every figure a ratio against a baseline
 * measured in the same run.
 *
 * 1. CPU per streamed token of the OpenAI Chat engine over HTTP against bench/server.ts (its own process), a fresh
 *    child per measurement, after a warm-up inference: tracing off, then tracing on with OpenTelemetry's SDK and
 *    its in-memory span exporter (`openTelemetryTracer` from `geppetto/otel`), as a ratio to off.
 * 2. With `--baseline-dist DIR` (a build of the commit before, e.g. main's `dist/`): the same tracing-off
 *    measurement and the import time of `dist/index.js` with that build, as ratios this build ÷ that one.
 *
 *   npm run build && npx node bench/tracing.ts [--quick] [--baseline-dist /path/to/other/dist]
 */
import { spawn } from "node:child_process";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ROOT, runJsonChild, startServer } from "./processes.ts";
import { formatRatio, median } from "./stats.ts";

const quick = process.argv.includes("--quick");
const TOKENS = quick ? 2_000 : 10_000;
const REPETITIONS = quick ? 3 : 7;

type Mode = "off" | "memory";

/** In a child: CPU microseconds per token of one inference (after a warm-up one) with `mode`. */
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
  const before = process.cpuUsage();
  await engine.runInference(turn, context);
  const used = process.cpuUsage(before);
  if (exporter && exporter.getFinishedSpans().length !== 2)
    throw new Error("expected one span per inference");
  return (used.user + used.system) / TOKENS;
}

function runChild(mode: Mode, dist: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = [
      fileURLToPath(import.meta.url),
      "--child",
      mode,
      dist,
      String(port),
      ...(quick ? ["--quick"] : []),
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) =>
      code === 0 ? resolve(Number(output)) : reject(new Error(`child ${mode} exited ${code}`)),
    );
  });
}

if (process.argv[2] === "--child") {
  const [, , , mode, dist, port] = process.argv;
  process.stdout.write(String(await childCpuPerToken(mode as Mode, dist!, Number(port))));
  process.exit(0);
}

const here = `${ROOT}dist`;
const flagIndex = process.argv.indexOf("--baseline-dist");
const baselineFlag = flagIndex >= 0 ? process.argv[flagIndex + 1] : undefined;
const baseline = baselineFlag === undefined ? undefined : resolvePath(baselineFlag);
const server = await startServer();
try {
  const samples: Record<string, number[]> = {
    off: [],
    memory: [],
    baselineOff: [],
    importHere: [],
    importBaseline: [],
  };
  // Interleaved, so a change of machine load touches every variant alike.
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    samples.off!.push(await runChild("off", here, server.port));
    samples.memory!.push(await runChild("memory", here, server.port));
    if (baseline) {
      samples.baselineOff!.push(await runChild("off", baseline, server.port));
      const probe = (dist: string) =>
        runJsonChild<{ importMs: number }>(["bench/import-probe.ts", `${dist.replace(/\/$/, "")}/index.js`]);
      samples.importHere!.push((await probe(here)).importMs);
      samples.importBaseline!.push((await probe(baseline)).importMs);
    }
  }
  const off = median(samples.off!);
  const memory = median(samples.memory!);
  const load = (await import("node:os"))
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
  const lines = [
    `# Tracing (${quick ? "quick" : "full"}; ${TOKENS}-token OpenAI Chat stream; ${REPETITIONS} repetitions, medians; load ${load})`,
    "",
    "| variant | CPU µs per token | × tracing off |",
    "| --- | --- | --- |",
    `| tracing off | ${off.toFixed(2)} | 1.00× |`,
    `| OpenTelemetry, in-memory exporter | ${memory.toFixed(2)} | ${formatRatio(memory / off)} (target ≤ 1.10×) |`,
  ];
  if (baseline) {
    const baselineOff = median(samples.baselineOff!);
    const importHere = median(samples.importHere!);
    const importBaseline = median(samples.importBaseline!);
    lines.push(
      `| tracing off, baseline build | ${baselineOff.toFixed(2)} | this build ÷ baseline: ${formatRatio(off / baselineOff)} |`,
      "",
      `import of dist/index.js: ${importHere.toFixed(1)} ms, baseline ${importBaseline.toFixed(1)} ms (${formatRatio(importHere / importBaseline)})`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  await server.stop();
}
