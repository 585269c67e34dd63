/**
 * Measurements in a fresh process: loads one client, runs the given scenarios in order against the bench server
 * (each with its own warm-up), checks the client received everything, prints one JSON line on stdout mapping
 * each scenario spec to its figures. Exits 1 (message on stderr) when the client fails or returns incomplete
 * output. A spec is `name:size` or `name:size×count` written `name:sizexcount`.
 *
 *   npx node bench/child.ts --client geppetto --scenarios stream:10000,ttft:1x500 --port 1234
 */
import { createHook } from "node:async_hooks";
import { performance } from "node:perf_hooks";
import { clientNamed } from "./clients/index.ts";
import type { BenchClient } from "./clients/types.ts";
import { median, percentile } from "./stats.ts";
import { assertText, assertToolArguments } from "./workload.ts";

/** Figures a child reports; which ones depends on the scenario. */
export interface ChildResult {
  cpuUs?: number;
  wallMs?: number;
  importMs?: number;
  p50Ms?: number;
  p99Ms?: number;
  tokensPerSecond?: number;
  peakRssMB?: number;
  /** Wall time of the first request in a fresh process, after the import. */
  firstRequestMs?: number;
  /** Promises created per streamed token during one request (async_hooks count, after a warm-up). */
  promisesPerToken?: number;
  /** The lowest and highest CPU (µs per request) of the measured samples behind `cpuUs`. */
  cpuSpread?: [number, number];
}

/** Counts the promises created while `work` runs (the hook is on only meanwhile). */
async function countPromises(work: () => Promise<void>): Promise<number> {
  let count = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === "PROMISE") count++;
    },
  });
  hook.enable();
  try {
    await work();
  } finally {
    hook.disable();
  }
  return count;
}

function flag(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`child: missing --${name}`);
  return value;
}

/** Runs `work`, returning its CPU time (µs, user + system, whole process) and wall time (ms). */
async function measure(work: () => Promise<void>): Promise<{ cpuUs: number; wallMs: number }> {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await work();
  const wallMs = performance.now() - wallBefore;
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuUs: cpu.user + cpu.system, wallMs };
}

/**
 * Steady-state figures of one request of `units` tokens or chunks. First unmeasured requests until about
 * `--steady` units (default 20,000) have streamed (warm-up: JIT compilation runs on background threads whose
 * CPU `process.cpuUsage()` counts); then `--samples` (default 9) measured samples, each one or more requests
 * adding up to at least `--sample-units` units (default 10,000). Returns the median sample's figures per
 * request: a garbage collection or a burst of other work landing in one sample does not move the result.
 */
async function steady(
  units: number,
  request: () => Promise<void>,
): Promise<{ cpuUs: number; wallMs: number; cpuSpread: [number, number] }> {
  const warmup = Math.max(1, Math.ceil(Number(flag("steady", "20000")) / units));
  for (let index = 0; index < warmup; index++) await request();
  const perSample = Math.max(1, Math.ceil(Number(flag("sample-units", "10000")) / units));
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let sample = 0; sample < Number(flag("samples", "9")); sample++) {
    const figures = await measure(async () => {
      for (let index = 0; index < perSample; index++) await request();
    });
    cpu.push(figures.cpuUs / perSample);
    wall.push(figures.wallMs / perSample);
  }
  return {
    cpuUs: median(cpu),
    wallMs: median(wall),
    cpuSpread: [Math.min(...cpu), Math.max(...cpu)],
  };
}

async function text(name: string, client: BenchClient, tokens: number, onFirstToken?: () => void) {
  assertText(name, tokens, await client.text(tokens, onFirstToken));
}

async function tool(name: string, client: BenchClient, chunks: number) {
  assertToolArguments(name, chunks, await client.tool(chunks));
}

/** A parsed scenario spec. */
export interface ScenarioSpec {
  scenario: string;
  size: number;
  count: number;
}

/** Parses `name:size` or `name:sizexcount`. */
export function parseSpec(spec: string): ScenarioSpec {
  const match = /^([a-z-]+)(?::(\d+)(?:x(\d+))?)?$/.exec(spec);
  if (!match) throw new Error(`child: bad scenario spec "${spec}" (expected name:size or name:sizexcount)`);
  return { scenario: match[1]!, size: Number(match[2] ?? 0), count: Number(match[3] ?? 1) };
}

async function run(): Promise<Record<string, ChildResult>> {
  const name = flag("client");
  const specs = flag("scenarios").split(",");
  const origin = `http://127.0.0.1:${flag("port")}`;
  const definition = clientNamed(name);
  const importStart = performance.now();
  const client = await definition.load(origin);
  const importMs = performance.now() - importStart;
  const results: Record<string, ChildResult> = {};
  for (const spec of specs) results[spec] = await runScenario(name, client, parseSpec(spec), importMs);
  return results;
}

async function runScenario(
  name: string,
  client: BenchClient,
  { scenario, size, count }: ScenarioSpec,
  importMs: number,
): Promise<ChildResult> {
  switch (scenario) {
    case "import":
      await text(name, client, 1);
      return { importMs };
    case "cold": {
      // Must be the process's first scenario: the first request pays for lazy initialisation (fetch, JIT).
      const start = performance.now();
      await text(name, client, 1);
      return { importMs, firstRequestMs: performance.now() - start };
    }
    case "cold-config": {
      // Like `cold`, with a per-turn inference config (geppetto validates it on the first request).
      if (!client.textWithConfig) throw new Error(`${name}: no per-turn config support`);
      const start = performance.now();
      assertText(name, 1, await client.textWithConfig(1));
      return { importMs, firstRequestMs: performance.now() - start };
    }
    case "promises": {
      for (let index = 0; index < 3; index++) await text(name, client, size);
      const promises = await countPromises(() => text(name, client, size));
      return { promisesPerToken: promises / size };
    }
    case "stream":
      return steady(size, () => text(name, client, size));
    case "concurrent": {
      // One unmeasured round of the same shape (warm-up), then three measured: the median round by wall time.
      const round = () =>
        measure(async () => {
          await Promise.all(Array.from({ length: count }, () => text(name, client, size)));
        });
      await round();
      const rounds = [await round(), await round(), await round()].sort((a, b) => a.wallMs - b.wallMs);
      const figures = rounds[1]!;
      return {
        ...figures,
        tokensPerSecond: (count * size) / (figures.wallMs / 1000),
        peakRssMB: process.resourceUsage().maxRSS / 1024,
      };
    }
    case "ttft": {
      for (let index = 0; index < 5; index++) await text(name, client, 1);
      const latencies: number[] = [];
      const figures = await measure(async () => {
        for (let index = 0; index < count; index++) {
          const start = performance.now();
          let first = -1;
          await text(name, client, size, () => {
            first = performance.now() - start;
          });
          if (first < 0) throw new Error(`${name}: no first-token callback`);
          latencies.push(first);
        }
      });
      return { ...figures, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
    }
    case "tool":
      return steady(size, () => tool(name, client, size));
    default:
      throw new Error(`child: unknown scenario "${scenario}"`);
  }
}

if (import.meta.main) {
  run().then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
