/**
 * Import time of every entry point geppetto exports, each in fresh processes (`import-probe.ts`: wall and CPU time
 * of the `await import`, Node's start outside the span), rounds rotated, optionally against a baseline checkout in
 * the same run:
 *
 *   npx node bench/imports.ts [--rounds 7] [--baseline DIR] [--only settings,testing] [--json]
 *
 * The subpaths come from package.json `exports`, so a new one cannot be forgotten. Targets: the core, the core read
 * as `import { generateText }`, and the core with each engine, under IMPORT_TARGET_MS; every subpath within
 * SUBPATH_IMPORT_TARGET × the core. A subpath built on a heavy optional client it loads at import (HEAVY_CLIENTS:
 * the MCP SDK, the OpenTelemetry API) is judged with that client preloaded (geppetto's own code), and also
 * listed with its client, unjudged: whoever imports it has chosen that client.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { runJsonChild } from "./processes.ts";
import { IMPORT_TARGET_MS, SUBPATH_IMPORT_TARGET } from "./report.ts";
import { formatNumber, formatRatio, markdownTable, median, ratio, rotate } from "./stats.ts";

/** The packages a subpath exists to wrap and loads at import: its figure is judged with them preloaded. */
export const HEAVY_CLIENTS: Record<string, string[]> = {
  mcp: [
    "@modelcontextprotocol/sdk/client/index.js",
    "@modelcontextprotocol/sdk/client/stdio.js",
    "@modelcontextprotocol/sdk/client/streamableHttp.js",
    "@modelcontextprotocol/sdk/types.js",
  ],
  otel: ["@opentelemetry/api"],
};

/** One thing to import in a fresh process. */
export interface ImportTarget {
  name: string;
  /** import-probe.ts arguments. */
  modules: string[];
  /** Judged against the core (a subpath) or against IMPORT_TARGET_MS (the core, core + engine). */
  judged: "subpath" | "budget" | "none";
}

/** Every subpath export of package.json (`settings`, `providers/openai`…) and the dist file it points to. */
export function subpathExports(): { subpath: string; file: string }[] {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    exports: Record<string, string | { default: string }>;
  };
  return Object.entries(manifest.exports)
    .filter(([key]) => key !== "." && key !== "./package.json")
    .map(([key, value]) => ({
      subpath: key.slice(2),
      file: (typeof value === "string" ? value : value.default).replace(/^\.\//, ""),
    }));
}

/** The core name the subpath ratios divide by (report.ts reads the same name). */
export const CORE = "geppetto core alone";

/** The core, the core with each engine, every subpath (heavy clients twice). */
export function importTargets(): ImportTarget[] {
  const subpaths = subpathExports();
  const targets: ImportTarget[] = [
    { name: CORE, modules: ["dist/index.js"], judged: "budget" },
    { name: "geppetto core, { generateText }", modules: ["dist/index.js#generateText"], judged: "budget" },
  ];
  for (const { subpath, file } of subpaths.filter(({ subpath }) => subpath.startsWith("providers/"))) {
    targets.push({ name: `geppetto core + ${subpath}`, modules: ["dist/index.js", file], judged: "budget" });
  }
  for (const { subpath, file } of subpaths) {
    const client = HEAVY_CLIENTS[subpath];
    if (!client) {
      targets.push({ name: `geppetto/${subpath}`, modules: [file], judged: "subpath" });
      continue;
    }
    targets.push({
      name: `geppetto/${subpath} (own code: ${client[0]!.split("/").slice(0, 2).join("/")} preloaded)`,
      modules: ["--preload", client.join(","), file],
      judged: "subpath",
    });
    targets.push({ name: `with its client: geppetto/${subpath}`, modules: [file], judged: "none" });
  }
  return targets;
}

interface Figures {
  importMs: number;
  cpuMs: number;
  modules?: number;
}

interface Measured {
  target: ImportTarget;
  modules: number;
  wall: number[];
  cpu: number[];
  baselineWall: number[];
  baselineCpu: number[];
}

function option(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

function spread(values: number[]): string {
  return `${formatNumber(median(values))} (${formatNumber(Math.min(...values))}–${formatNumber(Math.max(...values))})`;
}

async function probe(modules: string[], root?: string): Promise<Figures> {
  return runJsonChild<Figures>(["bench/import-probe.ts", ...(root ? ["--root", root] : []), ...modules]);
}

/** Measures every target `rounds` times (rotated; this checkout and the baseline alternate first). */
export async function measureImports(rounds: number, baseline?: string, only?: string): Promise<Measured[]> {
  const targets = importTargets().filter(
    (target) =>
      only === undefined ||
      target.name === CORE ||
      only.split(",").some((part) => target.name.includes(part)),
  );
  const measured = targets.map((target) => ({
    target,
    modules: 0,
    wall: [] as number[],
    cpu: [] as number[],
    baselineWall: [] as number[],
    baselineCpu: [] as number[],
  }));
  for (const entry of measured) {
    entry.modules = (await probe(["--modules", ...entry.target.modules])).modules ?? 0;
  }
  for (let round = 0; round < rounds; round++) {
    for (const entry of rotate(measured, round)) {
      // A baseline cannot preload this checkout's packages into its own graph: heavy-client figures are ours only.
      const withBaseline = baseline !== undefined && !entry.target.modules.includes("--preload");
      const order = withBaseline && round % 2 === 1 ? ["baseline", "ours"] : ["ours", "baseline"];
      for (const which of order) {
        if (which === "ours") {
          const figures = await probe(entry.target.modules);
          entry.wall.push(figures.importMs);
          entry.cpu.push(figures.cpuMs);
        } else if (withBaseline) {
          const figures = await probe(entry.target.modules, baseline).catch(() => undefined);
          if (figures) {
            entry.baselineWall.push(figures.importMs);
            entry.baselineCpu.push(figures.cpuMs);
          }
        }
      }
    }
  }
  return measured;
}

/** The Markdown table and the target verdicts. */
export function renderImports(measured: Measured[], baseline?: string): string {
  const core = measured.find((entry) => entry.target.name === CORE)!;
  const coreWall = median(core.wall);
  const coreBaseline = median(core.baselineWall);
  const header = ["Imported", "modules", "wall ms, median (min–max)", "CPU ms", "× core"];
  if (baseline) header.push("baseline wall ms", "baseline CPU ms", "baseline × core", "wall ÷ baseline");
  const rows = measured.map((entry) => {
    const row = [
      entry.target.name,
      String(entry.modules),
      spread(entry.wall),
      formatNumber(median(entry.cpu)),
      formatRatio(ratio(median(entry.wall), coreWall)),
    ];
    if (baseline) {
      const has = entry.baselineWall.length > 0;
      row.push(
        has ? spread(entry.baselineWall) : "—",
        has ? formatNumber(median(entry.baselineCpu)) : "—",
        has ? formatRatio(ratio(median(entry.baselineWall), coreBaseline)) : "—",
        has ? formatRatio(ratio(median(entry.wall), median(entry.baselineWall))) : "—",
      );
    }
    return row;
  });
  const verdicts = measured.flatMap((entry) => {
    const wall = median(entry.wall);
    if (entry.target.judged === "budget") {
      const met = wall < IMPORT_TARGET_MS;
      return [
        `- ${entry.target.name} < ${IMPORT_TARGET_MS} ms: ${formatNumber(wall)} ms, ${met ? "met" : "**NOT MET**"}`,
      ];
    }
    if (entry.target.judged === "subpath") {
      const share = ratio(wall, coreWall);
      const met = share <= SUBPATH_IMPORT_TARGET;
      return [
        `- ${entry.target.name} ≤ ${SUBPATH_IMPORT_TARGET}× the core: ${formatRatio(share)}, ${met ? "met" : "**NOT MET**"}`,
      ];
    }
    return [];
  });
  const [one, five] = os.loadavg();
  return [
    `Import time: wall (and CPU) of \`await import\` in a fresh process, Node's start outside the span; ${measured[0]?.wall.length ?? 0} processes each; load average ${formatNumber(one ?? 0)} (5 min ${formatNumber(five ?? 0)}); Node ${process.version}.`,
    "",
    markdownTable(header, rows),
    "",
    ...verdicts,
  ].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rounds = Number(option(args, "--rounds") ?? 7);
  const baseline = option(args, "--baseline");
  const measured = await measureImports(rounds, baseline, option(args, "--only"));
  process.stdout.write(
    args.includes("--json") ? `${JSON.stringify(measured)}\n` : `${renderImports(measured, baseline)}\n`,
  );
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
