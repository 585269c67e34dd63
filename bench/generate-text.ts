/**
 * `generateText` against `engine.runInference` for a 10,000-token answer over real HTTP (the bench provider server
 * in its own process, OpenAI Chat wire): the client's CPU per call, as paired ratios.
 *
 * One repetition takes three samples in a rotated order (the six orders in turn, so neither variant always
 * runs first or after the other): `runInference` (D1), `generateText` (G) and `runInference` again (D2). Each
 * sample is `--calls` calls in a row (default 4, 40,000 tokens), after a GC when `--expose-gc` is given, so the
 * garbage of one sample is not collected in the next. Reported: the median of the paired ratios G ÷ D1 with its
 * quartiles and range, and the A/A ratio D2 ÷ D1 measured the same way, the noise floor. An overhead is real
 * when G ÷ D1 sits above the A/A spread. Last, generateText's fixed cost per call (a one-word answer from the
 * in-process ScriptedEngine, where the noise of HTTP and a long answer is absent), as a share of the answer's CPU.
 *
 *   npm run build && npx node --expose-gc bench/generate-text.ts [--repetitions 21] [--calls 4] [--quick]
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { median, percentile } from "./stats.ts";

const corePath = "../dist/index.js";
const openaiPath = "../dist/providers/openai/index.js";
const testingPath = "../dist/testing/index.js";

/** What {@link measureGenerateText} found. */
export interface GenerateTextFigures {
  /** Median CPU ms per call. */
  direct: number;
  generateText: number;
  /** G ÷ D1 per repetition. */
  ratios: number[];
  /** D2 ÷ D1 per repetition. */
  noise: number[];
  calls: number;
  /** generateText's fixed cost per call over runInference, in ms (a one-word answer from the ScriptedEngine). */
  fixedCost: number;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const collect = (globalThis as { gc?: () => void }).gc;

/** Measures; `port` is a running bench provider server. */
export async function measureGenerateText(
  port: number,
  options: { repetitions: number; calls: number },
): Promise<GenerateTextFigures> {
  const core = (await import(corePath)) as typeof import("../src/index.ts");
  const { createOpenAIChatEngine } = (await import(
    openaiPath
  )) as typeof import("../src/providers/openai/index.ts");
  const engine = createOpenAIChatEngine({
    model: "text-10000",
    apiKey: "bench",
    baseURL: `http://127.0.0.1:${port}/v1`,
  });
  const direct = async () => {
    const turn = core.newTurn([core.newUserTextBlock("Write a long answer")]);
    const out = await engine.runInference(turn, core.RunContext.background());
    return core.assistantText(out).length;
  };
  const viaApp = async () =>
    (await core.generateText({ model: engine, prompt: "Write a long answer" })).text.length;
  const sample = async (run: () => Promise<number>) => {
    collect?.();
    const start = cpuMs();
    for (let call = 0; call < options.calls; call++) {
      if ((await run()) < 10_000) throw new Error("short answer");
    }
    return (cpuMs() - start) / options.calls;
  };
  for (let warm = 0; warm < 3; warm++) {
    await sample(direct);
    await sample(viaApp);
  }
  const orders = [
    ["d1", "g", "d2"],
    ["g", "d2", "d1"],
    ["d2", "d1", "g"],
    ["d1", "d2", "g"],
    ["g", "d1", "d2"],
    ["d2", "g", "d1"],
  ] as const;
  const runs = { d1: direct, d2: direct, g: viaApp };
  const d1: number[] = [];
  const g: number[] = [];
  const ratios: number[] = [];
  const noise: number[] = [];
  for (let repetition = 0; repetition < options.repetitions; repetition++) {
    const taken: Record<string, number> = {};
    for (const variant of orders[repetition % orders.length]!) taken[variant] = await sample(runs[variant]);
    d1.push(taken.d1!);
    g.push(taken.g!);
    ratios.push(taken.g! / taken.d1!);
    noise.push(taken.d2! / taken.d1!);
  }
  return {
    direct: median(d1),
    generateText: median(g),
    ratios,
    noise,
    calls: options.calls,
    fixedCost: await fixedCost(core),
  };
}

/**
 * What generateText costs per call beyond runInference whatever the answer's length: both on a one-word answer
 * from the in-process ScriptedEngine, 500 calls per block, blocks alternated, the median difference of 15 pairs.
 */
async function fixedCost(core: typeof import("../src/index.ts")): Promise<number> {
  const { ScriptedEngine, script } = (await import(testingPath)) as typeof import("../src/testing/index.ts");
  const engine = () => new ScriptedEngine([script.text("ok")]);
  const direct = async () => {
    const turn = core.newTurn([core.newUserTextBlock("hi")]);
    await engine().runInference(turn, core.RunContext.background());
  };
  const viaApp = async () => {
    await core.generateText({ model: engine(), prompt: "hi" });
  };
  const block = async (run: () => Promise<void>) => {
    collect?.();
    const start = cpuMs();
    for (let call = 0; call < 500; call++) await run();
    return (cpuMs() - start) / 500;
  };
  await block(direct);
  await block(viaApp);
  const differences: number[] = [];
  for (let pair = 0; pair < 15; pair++) {
    const [first, second] = pair % 2 === 0 ? [direct, viaApp] : [viaApp, direct];
    const a = await block(first);
    const b = await block(second);
    differences.push(first === direct ? b - a : a - b);
  }
  return median(differences);
}

const spread = (values: number[]) =>
  `quartiles ${percentile(values, 25).toFixed(3)}–${percentile(values, 75).toFixed(3)}, ` +
  `range ${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;

/** The report's lines. */
export function describeGenerateText(figures: GenerateTextFigures): string {
  const ratio = median(figures.ratios);
  const floor = median(figures.noise);
  return [
    `generateText vs runInference, 10,000-token answer (OpenAI Chat over HTTP), client CPU per call, ` +
      `${figures.ratios.length} repetitions × ${figures.calls} calls per sample, rotated order:`,
    `  generateText ${figures.generateText.toFixed(1)} ms, runInference ${figures.direct.toFixed(1)} ms (medians)`,
    `  G ÷ D, median of paired ratios: ${ratio.toFixed(3)}× (target ≤ 1.05); ${spread(figures.ratios)}`,
    `  A/A noise floor D ÷ D: ${floor.toFixed(3)}×; ${spread(figures.noise)}`,
    `  fixed cost per call (one-word answer, in process): ${(figures.fixedCost * 1000).toFixed(0)} µs, ` +
      `${((figures.fixedCost / figures.direct) * 100).toFixed(2)} % of runInference's CPU for 10,000 tokens`,
    `  load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")}${collect ? "" : " (run with --expose-gc for a GC before each sample)"}`,
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { startServer } = await import("./processes.ts");
  const flag = (name: string, fallback: number) => {
    const index = process.argv.indexOf(name);
    return index >= 0 ? Number(process.argv[index + 1]) : fallback;
  };
  const quick = process.argv.includes("--quick");
  const server = await startServer();
  try {
    const figures = await measureGenerateText(server.port, {
      repetitions: Math.max(15, flag("--repetitions", quick ? 15 : 21)),
      calls: flag("--calls", quick ? 2 : 4),
    });
    console.log(describeGenerateText(figures));
  } finally {
    await server.stop();
  }
}
