/**
 * Runs the geppetto-only measurements (tool loop, idle sessions, structured sink, stores and web chat
 * instances), each in fresh processes, and renders their section of RESULTS.md. A measurement whose code does not exist yet is "not available".
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { distHas } from "./clients/geppetto.ts";
import { runJsonChild, runNode } from "./processes.ts";
import { formatNumber, markdownTable, median } from "./stats.ts";

/** The rendered section and the raw medians. */
export interface ExtrasResult {
  markdown: string[];
  medians: Record<string, Record<string, number>>;
}

const STRUCTURED_SINK_SCRIPT = fileURLToPath(new URL("structured-sink.ts", import.meta.url));

/** The title of the stores section (report.ts reads its figures for the targets). */
export const STORES_TITLE =
  "Stores and several web chat instances (bench/stores.ts: real PostgreSQL, Redis, NATS)";

/** What each figure of bench/stores.ts is. */
const STORES_NOTE = [
  "One run (its own medians). `*TurnRatio`: per-turn save (the prompt, then the answer) at the last 10 of",
  "1,000 turns (300 quick) ÷ turns 11–30 of the same session (target ≤ 2 on PostgreSQL). `*VsFloorAt20` /",
  "`*VsFloorAtEnd`: the store's per-turn save ÷ the floor's, a hand-written writer inserting each turn's new",
  "blocks as JSON rows (one transaction per save, same server or file; it keeps nothing to diff against or",
  "search by). `*SearchGrowth`: `searchSessions` for a word only a small session holds, with the other session",
  "at its last turn ÷ at 20 turns (≈ 1: the trigram index answers it; the memory store scans). `concurrent*`:",
  "200 sessions saving at once on one PostgreSQL store, ÷ one session alone. `*RelayP50Ms` / `*RelayP99Ms`:",
  "how much later a WebSocket on instance B receives each frame than one on instance A running the answer.",
].join("\n");

async function repeat(
  repetitions: number,
  args: string[],
  log: (message: string) => void,
): Promise<Record<string, number> | string> {
  const runs: Record<string, unknown>[] = [];
  for (let index = 0; index < repetitions; index++) {
    try {
      runs.push(await runJsonChild<Record<string, unknown>>(args));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`FAILED ${args.join(" ")}: ${message}`);
      return `FAILED: ${message}`;
    }
  }
  const medians: Record<string, number> = {};
  for (const key of Object.keys(runs[0] ?? {})) {
    const values = runs.map((run) => run[key]).filter((value): value is number => typeof value === "number");
    if (values.length === runs.length) medians[key] = median(values);
  }
  return medians;
}

function figuresTable(figures: Record<string, number> | string): string {
  if (typeof figures === "string") return figures;
  return markdownTable(
    ["Figure", "median"],
    Object.entries(figures).map(([key, value]) => [key, formatNumber(value)]),
  );
}

/** Runs every extra that exists; `repetitions` processes each. */
export async function runExtras(
  repetitions: number,
  sessionCount: number,
  includeStructuredSink: boolean,
  log: (message: string) => void,
  quick = false,
): Promise<ExtrasResult> {
  const markdown: string[] = [];
  const medians: Record<string, Record<string, number>> = {};
  const section = async (title: string, available: boolean, why: string, args: string[], note: string) => {
    markdown.push(`## ${title}`, "");
    if (!available) {
      markdown.push(`not available (${why})`, "");
      return;
    }
    const figures = await repeat(repetitions, args, log);
    if (typeof figures !== "string") medians[title] = figures;
    markdown.push(figuresTable(figures), "", note, "");
  };
  await section(
    "Tool loop overhead per iteration (ScriptedEngine, 20 iterations per run)",
    distHas("toolloop/index.js") && distHas("tools/index.js"),
    "dist/toolloop or dist/tools missing",
    ["bench/extras.ts", "toolloop", "20"],
    "`overhead` = `runToolLoop` minus a hand-written loop doing the same inferences and tool calls (µs per " +
      "iteration, CPU). No peer equivalent is measured.",
  );
  await section(
    `Memory of ${sessionCount.toLocaleString("en-US")} idle sessions (one finished exchange each)`,
    distHas("session/index.js"),
    "dist/session missing",
    ["--expose-gc", "bench/extras.ts", "sessions", `${sessionCount}`],
    "Heap growth after GC, divided by the number of sessions. No peer equivalent is measured.",
  );
  await section(
    "MCP tool call overhead and connect (test MCP server over stdio, 300 calls per run)",
    distHas("mcp/index.js"),
    "dist/mcp missing",
    ["bench/mcp.ts", "300"],
    "`directUs` / `mcpUs` = median µs per `executeToolCalls` call of a local echo tool / the same echo on an MCP " +
      "server over stdio (same process, calls alternating); `overheadUs` = their difference (target ≤ 2000), " +
      "`ratio` = their quotient. `firstInferenceMs` = the first tool-loop inference started right after " +
      "`McpToolset.start()` on a server that takes `slowStartMs` to start (its tools listed after `connectMs`), " +
      "against `baselineInferenceMs` with no server: connecting runs in the background and does not delay it.",
  );
  markdown.push("## Structured sink throughput", "");
  if (!existsSync(STRUCTURED_SINK_SCRIPT) || !distHas("structured/index.js")) {
    markdown.push("not available (bench/structured-sink.ts or dist/structured missing)", "");
  } else if (!includeStructuredSink) {
    markdown.push("skipped in quick mode (run `npx node bench/structured-sink.ts`)", "");
  } else {
    const outcome = await runNode(["bench/structured-sink.ts"]);
    if (outcome.code === 0) {
      markdown.push("As reported by `bench/structured-sink.ts` (its own medians, one process):", "");
      markdown.push(outcome.stdout.trim(), "");
    } else {
      const reason = outcome.stderr.trim().split("\n").slice(0, 3).join(" / ");
      log(`FAILED bench/structured-sink.ts: ${reason}`);
      markdown.push(`FAILED: ${reason}`, "");
    }
  }
  markdown.push(`## ${STORES_TITLE}`, "");
  if (!distHas("stores/postgres/index.js") || !distHas("stores/postgres/test-server.js")) {
    markdown.push("not available (dist/stores/postgres missing)", "");
  } else {
    const outcome = await runNode(["bench/stores.ts", "--json", ...(quick ? ["--quick"] : [])], 1_800_000);
    const last = outcome.stdout.trim().split("\n").at(-1) ?? "";
    if (outcome.code === 0 && last.startsWith("{")) {
      const figures = JSON.parse(last) as Record<string, number>;
      medians[STORES_TITLE] = figures;
      markdown.push(figuresTable(figures), "", STORES_NOTE, "");
    } else {
      const reason = outcome.stderr.trim().split("\n").slice(0, 3).join(" / ");
      log(`FAILED bench/stores.ts: ${reason}`);
      markdown.push(`FAILED: ${reason}`, "");
    }
  }
  return { markdown, medians };
}
