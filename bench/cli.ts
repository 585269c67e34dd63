/**
 * The command line for people who use it all day (`npx node bench/cli.ts [--quick] [--baseline DIR] [--startup-only]`, after a
 * build; tmux needed for the chat):
 *
 * 1. Start-up: wall time of `geppetto --help` and `geppetto run "Hello"` on the default (no pacing), medians of
 *    fresh processes, interleaved with the same commands of a baseline checkout (`--baseline DIR`: another
 *    built geppetto, e.g. a worktree of main) when given: ratios of the same run.
 * 2. The terminal chat's CPU per token against `run`'s, both in a real 120×40 terminal (tmux) on a long answer
 *    from the local provider server: (CPU of N tokens − CPU of 10 tokens) / (N − 10), the process's own user +
 *    system time (bash `times`), so start-up is left out; with `--baseline`, the baseline's chat too (the same
 *    rounds, interleaved).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { longText } from "../dist/testing/provider-server/script.js";
import { startProviderServer } from "../dist/testing/provider-server/server.js";
import { after, shellQuote, Terminal } from "../src/cli/chat/terminal-harness.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");
const baselineIndex = process.argv.indexOf("--baseline");
const baseline = baselineIndex > 0 ? resolve(process.argv[baselineIndex + 1] ?? "") : undefined;
const repetitions = quick ? 5 : 15;
const tokens = quick ? 2_000 : 10_000;
const home = mkdtempSync(join(tmpdir(), "geppetto-bench-cli-"));
const env = {
  ...process.env,
  HOME: home,
  XDG_CONFIG_HOME: join(home, "config"),
  XDG_DATA_HOME: join(home, "data"),
  GEPPETTO_EMBEDDED_PACING_MS: "0",
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Wall time of a fresh `node FILE ARGS`; `cache` is the compile cache directory (bin/geppetto.js's). */
function wallMs(file: string, args: string[], cache: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [file, ...args], {
    env: { ...env, GEPPETTO_COMPILE_CACHE: cache },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  return elapsed;
}

/**
 * Start-up of `--help` and `run Hello`: this checkout with a warm compile cache (the usual case: every start
 * after the first) and a cold one (a fresh, empty cache directory each start: the first start after an install or
 * upgrade), the baseline (warm when it has a cache), and bare `node -e 0` for reference, rounds interleaved.
 */
function startup(): void {
  const commands = [["--help"], ["run", "Hello"]];
  const warmCache = join(home, "compile-cache");
  const freshCache = () => mkdtempSync(join(home, "cold-cache-"));
  const variants: { name: string; measure: (args: string[]) => number }[] = [
    { name: "warm", measure: (args) => wallMs(join(root, "bin/geppetto.js"), args, warmCache) },
    { name: "cold", measure: (args) => wallMs(join(root, "bin/geppetto.js"), args, freshCache()) },
  ];
  if (baseline) {
    const cache = join(home, "baseline-cache");
    variants.push({
      name: "baseline",
      measure: (args) => wallMs(join(baseline, "bin/geppetto.js"), args, cache),
    });
  }
  const nodeOnly: number[] = [];
  const samples = new Map<string, number[]>();
  for (const variant of variants) for (const args of commands) variant.measure(args); // warm the disk and caches
  for (let repetition = 0; repetition < repetitions; repetition++) {
    // Interleaved, the order rotated each repetition.
    const shift = repetition % variants.length;
    for (const variant of [...variants.slice(shift), ...variants.slice(0, shift)]) {
      for (const args of commands) {
        const key = `${variant.name}|${args.join(" ")}`;
        samples.set(key, [...(samples.get(key) ?? []), variant.measure(args)]);
      }
    }
    const started = performance.now();
    spawnSync(process.execPath, ["-e", "0"], { env });
    nodeOnly.push(performance.now() - started);
  }
  const cell = (values: number[]) =>
    `${median(values).toFixed(0)} (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;
  console.log(`Start-up wall time, ms: median (min–max) of ${repetitions} fresh processes\n`);
  console.log(
    `| command | ${variants.map((variant) => variant.name).join(" | ")} |${baseline ? " warm ÷ baseline | cold ÷ baseline |" : ""}`,
  );
  console.log(`| --- |${" --- |".repeat(variants.length + (baseline ? 2 : 0))}`);
  for (const args of commands) {
    const of = (name: string) => samples.get(`${name}|${args.join(" ")}`)!;
    const ratios = baseline
      ? ` ${(median(of("warm")) / median(of("baseline"))).toFixed(2)}× | ${(median(of("cold")) / median(of("baseline"))).toFixed(2)}× |`
      : "";
    console.log(
      `| \`geppetto ${args.join(" ")}\` | ${variants.map((variant) => cell(of(variant.name))).join(" | ")} |${ratios}`,
    );
  }
  console.log(`| \`node -e 0\` (reference) | ${cell(nodeOnly)} |`);
}

/** Runs `command` in a 120×40 tmux pane; `drive` types into it; returns the CPU seconds bash's `times` reports. */
async function cpuInTerminal(
  terminal: Terminal,
  command: string,
  drive: (terminal: Terminal) => Promise<void>,
): Promise<number> {
  const timesFile = join(home, `times-${performance.now()}`);
  terminal.start(`${command}; times > ${shellQuote(timesFile)}; sleep 60`, { columns: 120, rows: 40 });
  await drive(terminal);
  const deadline = Date.now() + 60_000;
  while (!existsSync(timesFile) || readFileSync(timesFile, "utf8").split("\n").length < 3) {
    if (Date.now() > deadline) throw new Error(`no times; the screen:\n${terminal.screen()}`);
    await new Promise((settle) => setTimeout(settle, 20));
  }
  // The second line: the children's user and system time, as "0m1.234s 0m0.123s".
  const children = readFileSync(timesFile, "utf8").split("\n")[1]!;
  return Array.from(
    children.matchAll(/(\d+)m([\d.]+)s/g),
    (match) => Number(match[1]) * 60 + Number(match[2]),
  ).reduce((sum, seconds) => sum + seconds, 0);
}

async function chatCpuPerToken(): Promise<void> {
  if (spawnSync("tmux", ["-V"]).status !== 0) {
    console.log("\n(tmux is missing: the chat CPU per token is not measured)");
    return;
  }
  const terminal = new Terminal();
  const server = await startProviderServer();
  const commandIn = (checkout: string) =>
    [
      `cd ${shellQuote(checkout)} && env HOME=${shellQuote(home)} XDG_DATA_HOME=${shellQuote(join(home, "data"))}`,
      `OPENAI_API_KEY=local OPENAI_BASE_URL=${shellQuote(server.baseURL("openai-chat"))} TERM=xterm-256color`,
      `${shellQuote(process.execPath)} bin/geppetto.js`,
    ].join(" ");
  const base = commandIn(root);
  const flags = "--ai-api-type openai --ai-engine bench";
  const runOnce = (count: number) => {
    server.respond({ script: longText(count) });
    return cpuInTerminal(terminal, `${base} run ${flags} Hello`, async () => {});
  };
  const chatOnce = (count: number, checkout = root) => {
    server.respond({ script: longText(count) });
    return cpuInTerminal(terminal, `${commandIn(checkout)} chat ${flags}`, async (pane) => {
      await pane.waitFor("the input line", (screen) => screen.includes("Enter to send"));
      pane.keys("-l", "Hello");
      pane.keys("Enter");
      const last = `tok${count - 1}`;
      await pane.waitFor("the answer", (screen) => after(screen, last).includes("Enter to send"), 120_000);
      pane.keys("C-d");
    });
  };
  const rounds = quick ? 2 : 5;
  const perToken: { run: number[]; chat: number[]; baseline: number[] } = { run: [], chat: [], baseline: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      const [runLong, runShort] = [await runOnce(tokens), await runOnce(10)];
      const [chatLong, chatShort] = [await chatOnce(tokens), await chatOnce(10)];
      perToken.run.push(((runLong - runShort) / (tokens - 10)) * 1e6);
      perToken.chat.push(((chatLong - chatShort) / (tokens - 10)) * 1e6);
      if (baseline) {
        const [long, short] = [await chatOnce(tokens, baseline), await chatOnce(10, baseline)];
        perToken.baseline.push(((long - short) / (tokens - 10)) * 1e6);
      }
    }
  } finally {
    terminal.kill();
    await server.close();
  }
  const run = median(perToken.run);
  const chat = median(perToken.chat);
  console.log(`\nCPU per token on a ${tokens}-token answer in a 120×40 terminal (median of ${rounds}):\n`);
  console.log("| command | CPU per token (µs) |\n| --- | --- |");
  console.log(`| \`geppetto run\` | ${run.toFixed(1)} |\n| \`geppetto chat\` | ${chat.toFixed(1)} |`);
  const before = baseline ? median(perToken.baseline) : undefined;
  if (before !== undefined) console.log(`| \`geppetto chat\` of the baseline | ${before.toFixed(1)} |`);
  console.log(`\nchat / run: ${(chat / run).toFixed(2)}× (target ≤ 2×)`);
  if (before !== undefined) console.log(`chat / the baseline's chat: ${(chat / before).toFixed(2)}×`);
}

if (!existsSync(join(root, "dist/cli/main.js"))) throw new Error("run `npm run build` first");
if (baseline && !existsSync(join(baseline, "dist/cli/main.js"))) throw new Error(`${baseline} is not built`);
console.log(
  `geppetto CLI bench (${quick ? "quick" : "full"}; load average ${execFileSync("cat", ["/proc/loadavg"]).toString().split(" ").slice(0, 3).join(" ")})\n`,
);
startup();
if (!process.argv.includes("--startup-only")) await chatCpuPerToken();
rmSync(home, { recursive: true, force: true });
