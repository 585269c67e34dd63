/**
 * Per-token CPU of two builds of geppetto, A/B in the same run: the same client code (ab-child.ts) against the
 * `--before` and `--after` dist directories, on every wire (OpenAI Chat, Responses, Anthropic, Gemini, Ollama),
 * text streams and tool-argument streams, from the bench server (server.ts, wires.ts) in its own process. Each
 * measurement is a fresh process; per repetition the variants run back to back for each wire and workload, in a
 * rotating order. A third variant, the `--before` build again, gives the A/A noise floor of the same run.
 * Prints per wire and workload: µs per token or chunk (medians), after ÷ before and A/A (median of the
 * repetitions' ratios, with their range), and the load average.
 *
 *   npx node bench/ab.ts --before ../base --after . [--repetitions 9] [--wires chat,gemini]
 *     [--workloads text-10000,tool-500,tool-2000,tool-8000] [--mode sink|stream]
 *     [--steady 20000] [--json]
 *
 * Two figures per process: its cheapest measured request (the one least disturbed by other processes on a loaded
 * machine) and the mean of its measured requests; a table of each.
 *
 * A directory is a checkout (its dist/ is used) or a dist directory; build both first (`npm run build`).
 */
import { existsSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WIRES, type Wire } from "./ab-child.ts";
import { runJsonChild, startServer } from "./processes.ts";
import { median, rotate } from "./stats.ts";

function flag(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`ab: --${name} DIR is required`);
  return value;
}

/** The dist directory of a checkout or a dist directory; throws naming the flag when neither is built. */
function distOf(name: string): string {
  const directory = resolve(flag(name));
  for (const candidate of [resolve(directory, "dist"), directory]) {
    if (existsSync(resolve(candidate, "index.js"))) return candidate;
  }
  throw new Error(`ab: --${name} ${directory} has no dist/index.js (run npm run build there)`);
}

const dists = { before: distOf("before"), after: distOf("after") };
const variants = ["before", "before-again", "after"] as const;
type Variant = (typeof variants)[number];
const distFor = (variant: Variant): string => (variant === "after" ? dists.after : dists.before);
const repetitions = Number(flag("repetitions", "9"));
const wires = flag("wires", WIRES.join(",")).split(",") as Wire[];
const workloads = flag("workloads", "text-10000,tool-500,tool-2000,tool-8000").split(",");
const mode = flag("mode", "sink");
const steady = flag("steady", "20000");
for (const wire of wires) if (!WIRES.includes(wire)) throw new Error(`ab: unknown wire ${wire} (${WIRES})`);

/** The two figures of a process: its cheapest measured request and their mean (µs per token or chunk). */
const FIGURES = ["minUsPerUnit", "meanUsPerUnit"] as const;
type Figure = (typeof FIGURES)[number];
interface Cell {
  wire: Wire;
  workload: string;
  samples: Record<Variant, Record<Figure, number>[]>;
}
const cells: Cell[] = [];
for (const wire of wires) {
  // Ollama sends a tool call whole, in one line: one size of it is enough.
  const own =
    wire === "ollama" ? workloads.filter((w) => !w.startsWith("tool-") || w === "tool-8000") : workloads;
  for (const workload of own)
    cells.push({ wire, workload, samples: { before: [], "before-again": [], after: [] } });
}

const child = fileURLToPath(new URL("ab-child.ts", import.meta.url));
const server = await startServer();
const loads: number[] = [os.loadavg()[0]!];
const started = Date.now();
try {
  for (let repetition = 0; repetition < repetitions; repetition++) {
    for (const [index, cell] of cells.entries()) {
      for (const variant of rotate(variants, repetition + index)) {
        const args = [child, "--dist", distFor(variant), "--wire", cell.wire, "--workload", cell.workload];
        args.push("--mode", mode, "--steady", steady, "--port", `${server.port}`);
        cell.samples[variant].push(await runJsonChild<Record<Figure, number>>(args));
      }
    }
    loads.push(os.loadavg()[0]!);
    process.stderr.write(
      `ab: repetition ${repetition + 1}/${repetitions} done, load ${loads.at(-1)?.toFixed(1)}\n`,
    );
  }
} finally {
  await server.stop();
}

/** Each repetition's ratio of `variant` to `before`, taken within the repetition. */
function ratios(cell: Cell, variant: Variant, figure: Figure): number[] {
  return cell.samples[variant].map((sample, index) => sample[figure] / cell.samples.before[index]![figure]);
}
const range = (values: number[]): string =>
  `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

function row(cell: Cell, figure: Figure) {
  const after = ratios(cell, "after", figure);
  const again = ratios(cell, "before-again", figure);
  return {
    wire: cell.wire,
    workload: cell.workload,
    beforeUs: median(cell.samples.before.map((sample) => sample[figure])),
    afterUs: median(cell.samples.after.map((sample) => sample[figure])),
    afterRatio: median(after),
    afterRange: range(after),
    aaRatio: median(again),
    aaRange: range(again),
  };
}
const summary = {
  before: dists.before,
  after: dists.after,
  mode,
  repetitions,
  minutes: (Date.now() - started) / 60_000,
  load: { start: loads[0]!, median: median(loads), max: Math.max(...loads) },
  cheapest: cells.map((cell) => row(cell, "minUsPerUnit")),
  mean: cells.map((cell) => row(cell, "meanUsPerUnit")),
  samples: cells,
};
if (process.argv.includes("--json")) {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} else {
  const { load } = summary;
  const table = (title: string, rows: ReturnType<typeof row>[]): string[] => [
    "",
    title,
    "",
    "| Wire | Workload | Before µs | After µs | After ÷ before (range) | A/A (range) |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.wire} | ${r.workload} | ${r.beforeUs.toFixed(2)} | ${r.afterUs.toFixed(2)} | ${r.afterRatio.toFixed(3)} (${r.afterRange}) | ${r.aaRatio.toFixed(3)} (${r.aaRange}) |`,
    ),
  ];
  const lines = [
    `CPU per token / argument chunk (${mode}), ${repetitions} repetitions of a fresh process per variant, load ${load.start.toFixed(1)} at start, ${load.median.toFixed(1)} median, ${load.max.toFixed(1)} max, ${summary.minutes.toFixed(1)} min`,
    `before ${dists.before}`,
    `after  ${dists.after}`,
    ...table(
      "Cheapest measured request of each process (least disturbed by other processes):",
      summary.cheapest,
    ),
    ...table("Mean of the measured requests of each process:", summary.mean),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
