/**
 * The benchmark suite: starts the bench server, runs every client in fresh processes (interleaved, rotated
 * each repetition), times imports and `geppetto --help`, runs the extras, writes bench/RESULTS.md and checks
 * the targets. Exits 1 when a client failed (incomplete output) — targets not met are reported, not fatal.
 *
 *   npm run bench              # full run (≈ 10–30 minutes)
 *   npm run bench -- --quick   # under a minute: smaller sizes, 3 repetitions, scenarios share one process
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import type { ChildResult } from "./child.ts";
import { geppettoAvailable } from "./clients/geppetto.ts";
import { CLIENTS } from "./clients/index.ts";
import type { ClientDefinition } from "./clients/types.ts";
import { type ExtrasResult, runExtras } from "./extras-runner.ts";
import { importTargets } from "./imports.ts";
import { runJsonChild, runNode, startServer } from "./processes.ts";
import { type Plan, renderResults, type Samples } from "./report.ts";
import { rotate } from "./stats.ts";

const QUICK: Plan = {
  mode: "quick",
  repetitions: 3,
  streamTokens: 2_000,
  concurrent: { streams: 50, tokens: 200 },
  firstToken: { requests: 50 },
  toolChunks: [250, 1_000, 4_000],
  steadyUnits: 4_000,
  promiseTokens: 1_000,
  sharedProcess: true,
};

const FULL: Plan = {
  mode: "full",
  repetitions: 7,
  streamTokens: 10_000,
  concurrent: { streams: 200, tokens: 500 },
  firstToken: { requests: 500 },
  toolChunks: [500, 2_000, 8_000],
  steadyUnits: 60_000,
  promiseTokens: 2_000,
  sharedProcess: false,
};

/** Modules imported by each client, for the import scenario (fresh process each). */
export const IMPORTS: Record<string, string[]> = {
  geppetto: ["dist/index.js", "dist/providers/openai/index.js"],
  "geppetto-claude": ["dist/index.js", "dist/providers/anthropic/index.js"],
  "geppetto-stream": ["dist/index.js", "dist/providers/openai/index.js"],
  "geppetto-claude-stream": ["dist/index.js", "dist/providers/anthropic/index.js"],
  "openai-sdk": ["openai"],
  "vercel-ai": ["ai", "@ai-sdk/openai"],
  langchain: ["@langchain/openai"],
  "anthropic-sdk": ["@anthropic-ai/sdk"],
};

/**
 * Imports timed alone (full mode): the core, the core with each engine and every subpath of package.json `exports`
 * (imports.ts), then the core's parts and its packages, to show where the time goes.
 */
const IMPORT_BREAKDOWN: { name: string; modules: string[] }[] = [
  ...importTargets().map(({ name, modules }) => ({ name, modules })),
  ...[
    "dist/turns/index.js",
    "dist/events/index.js",
    "dist/engine/index.js",
    "zod",
    "yaml",
    "eventsource-parser",
  ].map((module) => ({ name: `module ${module}`, modules: [module] })),
];

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The scenario specs of a plan, in child.ts syntax. */
export function scenarioSpecs(plan: Plan): string[] {
  return [
    `stream:${plan.streamTokens}`,
    `promises:${plan.promiseTokens}`,
    `concurrent:${plan.concurrent.tokens}x${plan.concurrent.streams}`,
    `ttft:1x${plan.firstToken.requests}`,
    ...plan.toolChunks.map((chunks) => `tool:${chunks}`),
  ];
}

function record(samples: Samples, client: string, spec: string, result: ChildResult): void {
  let byClient = samples.results.get(client);
  if (!byClient) {
    byClient = new Map();
    samples.results.set(client, byClient);
  }
  const list = byClient.get(spec) ?? [];
  list.push(result);
  byClient.set(spec, list);
}

async function main(): Promise<void> {
  const plan = process.argv.includes("--quick") ? QUICK : FULL;
  const started = performance.now();
  const clients: ClientDefinition[] = [];
  const unavailable: ClientDefinition[] = [];
  for (const client of CLIENTS) (geppettoAvailable(client) ? clients : unavailable).push(client);
  for (const client of unavailable) log(`not available (dist module missing): ${client.name}`);
  const specs = scenarioSpecs(plan);
  // Quick mode times the import inside the shared process (no separate import probes).
  // The per-turn config's first request needs a fresh process of its own (geppetto clients only).
  const groups = plan.sharedProcess
    ? [["cold", ...specs]]
    : [["cold"], ["cold-config"], ...specs.map((spec) => [spec])];
  const samples: Samples = {
    results: new Map(),
    failures: [],
    imports: new Map(),
    coldStart: new Map(),
    loadAverage: { start: os.loadavg()[0] ?? Number.NaN, end: Number.NaN },
  };
  const server = await startServer();
  log(`bench server on port ${server.port}; ${plan.mode} run, ${plan.repetitions} repetitions`);
  try {
    for (let repetition = 0; repetition < plan.repetitions; repetition++) {
      for (const group of groups) {
        for (const client of rotate(clients, repetition)) {
          if (group[0] === "cold-config" && !client.geppetto) continue;
          const key = `${client.name} ${group.join(",")}`;
          if (samples.failures.some((failure) => failure.startsWith(`${key}:`))) continue;
          try {
            const args = ["bench/child.ts", "--client", client.name, "--scenarios", group.join(",")];
            args.push("--steady", `${plan.steadyUnits}`);
            const result = await runJsonChild<Record<string, ChildResult>>([
              ...args,
              "--port",
              `${server.port}`,
            ]);
            for (const [spec, figures] of Object.entries(result)) {
              if (spec === "cold" && plan.sharedProcess) {
                const list = samples.imports.get(client.name) ?? [];
                samples.imports.set(client.name, [...list, figures.importMs ?? Number.NaN]);
              }
              record(samples, client.name, spec, figures);
            }
          } catch (error) {
            const message = `${key}: ${error instanceof Error ? error.message : String(error)}`;
            samples.failures.push(message);
            log(`FAILED ${message}`);
          }
        }
      }
      if (!plan.sharedProcess) await measureImports(samples, clients, repetition);
      await measureColdStart(samples);
      log(
        `repetition ${repetition + 1}/${plan.repetitions} done (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }
  } finally {
    await server.stop();
  }
  samples.loadAverage.end = os.loadavg()[0] ?? Number.NaN;
  const extras: ExtrasResult = await runExtras(
    plan.mode === "quick" ? 1 : 5,
    plan.mode === "quick" ? 2_000 : 10_000,
    plan.mode === "full",
    log,
    plan.mode === "quick",
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  const { markdown, summary } = renderResults({
    plan,
    clients,
    unavailable,
    samples,
    extras,
    elapsedSeconds,
  });
  writeFileSync(new URL("RESULTS.md", import.meta.url), markdown);
  log(summary);
  log(`wrote bench/RESULTS.md in ${elapsedSeconds.toFixed(0)} s`);
  if (samples.failures.length > 0) {
    log(`${samples.failures.length} client run(s) FAILED — see RESULTS.md`);
    process.exitCode = 1;
  }
}

async function measureImports(
  samples: Samples,
  clients: ClientDefinition[],
  repetition: number,
): Promise<void> {
  const targets = [
    ...rotate(clients, repetition)
      .filter((client) => IMPORTS[client.name])
      .map((client) => ({ name: client.name, modules: IMPORTS[client.name]! })),
    ...IMPORT_BREAKDOWN,
  ];
  for (const target of targets) {
    try {
      const { importMs } = await runJsonChild<{ importMs: number }>([
        "bench/import-probe.ts",
        ...target.modules,
      ]);
      const list = samples.imports.get(target.name) ?? [];
      list.push(importMs);
      samples.imports.set(target.name, list);
    } catch (error) {
      samples.failures.push(
        `import ${target.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

async function measureColdStart(samples: Samples): Promise<void> {
  const commands: [string, string[]][] = [
    ["node -e 0 (bare Node start)", ["-e", "0"]],
    ["node bin/geppetto.js --help", ["bin/geppetto.js", "--help"]],
  ];
  for (const [name, args] of commands) {
    const outcome = await runNode(args);
    if (outcome.code !== 0) {
      samples.failures.push(
        `${name}: exit code ${outcome.code}: ${outcome.stderr.trim().split("\n")[0] ?? ""}`,
      );
      continue;
    }
    const list = samples.coldStart.get(name) ?? [];
    list.push(outcome.wallMs);
    samples.coldStart.set(name, list);
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  });
}
