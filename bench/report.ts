/**
 * Turns the collected samples into bench/RESULTS.md: medians, ratios to the floor of the same run, the
 * targets (met / not met) and a console summary of the headline ratios.
 */
import type { ChildResult } from "./child.ts";
import type { ClientDefinition } from "./clients/types.ts";
import { environmentLines } from "./environment.ts";
import { type ExtrasResult, STORES_TITLE } from "./extras-runner.ts";
import { formatNumber, formatRatio, growthRatio, markdownTable, median, ratio } from "./stats.ts";

/** What a run measures. */
export interface Plan {
  mode: "quick" | "full";
  repetitions: number;
  streamTokens: number;
  concurrent: { streams: number; tokens: number };
  firstToken: { requests: number };
  toolChunks: number[];
  /** Stream and tool scenarios repeat a request (after as many unmeasured) until this many tokens/chunks. */
  steadyUnits: number;
  /** Tokens of the request whose promises are counted. */
  promiseTokens: number;
  /** Quick mode runs all of a client's scenarios in one process. */
  sharedProcess: boolean;
}

/** Everything collected, every repetition kept. */
export interface Samples {
  /** client → scenario spec → one result per repetition. */
  results: Map<string, Map<string, ChildResult[]>>;
  failures: string[];
  /** import target → milliseconds per repetition. */
  imports: Map<string, number[]>;
  /** command → wall milliseconds per repetition. */
  coldStart: Map<string, number[]>;
  /** The machine's 1-minute load average when the run started and ended (other work perturbs figures). */
  loadAverage: { start: number; end: number };
}

export interface RenderInput {
  plan: Plan;
  clients: ClientDefinition[];
  unavailable: ClientDefinition[];
  samples: Samples;
  extras: ExtrasResult;
  elapsedSeconds: number;
}

/** One checked target. */
export interface TargetCheck {
  target: string;
  figure: string;
  met: boolean;
}

type Metric = (result: ChildResult) => number | undefined;

/** Import plus first request, in the same fresh process. */
const coldTotal: Metric = (result) => (result.importMs ?? Number.NaN) + (result.firstRequestMs ?? Number.NaN);

/** The IMPORT_MS target for core + one engine. */
export const IMPORT_TARGET_MS = 40;
/** geppetto's per-token and per-chunk CPU with a sink must stay within this multiple of the floor. */
export const FLOOR_TARGET = 1.25;
/** The same through `for await` (InferenceStream). */
export const PULL_FLOOR_TARGET = 1.35;
/** Promises per token through `for await`. */
export const PROMISES_TARGET = 2;
/** Throughput of the concurrent streams, at least this multiple of the floor's. */
export const CONCURRENT_TARGET = 0.9;
/** First request with a per-turn InferenceConfig, at most this multiple of the first request without. */
export const CONFIG_FIRST_REQUEST_TARGET = 1.3;
/** Every subpath import, at most this multiple of the core's import. */
export const SUBPATH_IMPORT_TARGET = 1.5;
/** `geppetto --help`, at most this many ms over bare Node. */
export const HELP_OVER_NODE_MS = 100;

export function renderResults(input: RenderInput): { markdown: string; summary: string } {
  const { plan, clients, samples } = input;
  const specs = {
    stream: `stream:${plan.streamTokens}`,
    concurrent: `concurrent:${plan.concurrent.tokens}x${plan.concurrent.streams}`,
    ttft: `ttft:1x${plan.firstToken.requests}`,
    promises: `promises:${plan.promiseTokens}`,
    tool: (chunks: number) => `tool:${chunks}`,
  };
  const totalTokens = plan.concurrent.tokens * plan.concurrent.streams;
  const value = (client: string, spec: string, metric: Metric): number =>
    median((samples.results.get(client)?.get(spec) ?? []).map((result) => metric(result) ?? Number.NaN));
  const floorOf = (client: ClientDefinition) =>
    clients.find((candidate) => candidate.floor && candidate.protocol === client.protocol);
  const floorValue = (client: ClientDefinition, spec: string, metric: Metric) => {
    const floor = floorOf(client);
    return floor ? value(floor.name, spec, metric) : Number.NaN;
  };
  const cpuPer =
    (units: number): Metric =>
    (result) =>
      (result.cpuUs ?? Number.NaN) / units;
  const wallUsPer =
    (units: number): Metric =>
    (result) =>
      ((result.wallMs ?? Number.NaN) * 1000) / units;
  const cell = (client: ClientDefinition, spec: string, metric: Metric): string[] => {
    const figure = value(client.name, spec, metric);
    return [formatNumber(figure), formatRatio(ratio(figure, floorValue(client, spec, metric)))];
  };
  const label = (client: ClientDefinition) =>
    client.floor ? `**${client.name}** (floor)` : client.geppetto ? `**${client.name}**` : client.name;

  const metrics: { name: string; spec: string; metric: Metric; higherIsBetter?: boolean; unit: string }[] = [
    { name: "stream CPU/token", spec: specs.stream, metric: cpuPer(plan.streamTokens), unit: "µs" },
    { name: "stream wall/token", spec: specs.stream, metric: wallUsPer(plan.streamTokens), unit: "µs" },
    {
      name: "concurrent tokens/s",
      spec: specs.concurrent,
      metric: (result) => result.tokensPerSecond,
      higherIsBetter: true,
      unit: "tok/s",
    },
    { name: "concurrent CPU/token", spec: specs.concurrent, metric: cpuPer(totalTokens), unit: "µs" },
    { name: "concurrent peak RSS", spec: specs.concurrent, metric: (result) => result.peakRssMB, unit: "MB" },
    { name: "first token p50", spec: specs.ttft, metric: (result) => result.p50Ms, unit: "ms" },
    { name: "first token p99", spec: specs.ttft, metric: (result) => result.p99Ms, unit: "ms" },
    {
      name: "import + first request in a fresh process",
      spec: "cold",
      metric: coldTotal,
      unit: "ms",
    },
    ...plan.toolChunks.map((chunks) => ({
      name: `tool ${chunks} chunks CPU/chunk`,
      spec: specs.tool(chunks),
      metric: cpuPer(chunks),
      unit: "µs",
    })),
  ];

  // Targets.
  const checks: TargetCheck[] = [];
  const importMedian = (name: string) => median(input.samples.imports.get(name) ?? []);
  for (const client of clients.filter((candidate) => candidate.geppetto)) {
    const bound = client.pull ? PULL_FLOOR_TARGET : FLOOR_TARGET;
    const perToken = ratio(
      value(client.name, specs.stream, cpuPer(plan.streamTokens)),
      floorValue(client, specs.stream, cpuPer(plan.streamTokens)),
    );
    checks.push({
      target: `${client.name}: CPU per token ≤ ${bound}× floor`,
      figure: formatRatio(perToken),
      met: perToken <= bound,
    });
    if (client.pull) {
      const promises = value(client.name, specs.promises, (result) => result.promisesPerToken);
      checks.push({
        target: `${client.name}: ≤ ${PROMISES_TARGET} promises per token through for await`,
        figure: formatNumber(promises),
        met: promises <= PROMISES_TARGET,
      });
    }
    const throughput = ratio(
      value(client.name, specs.concurrent, (result) => result.tokensPerSecond),
      floorValue(client, specs.concurrent, (result) => result.tokensPerSecond),
    );
    checks.push({
      target: `${client.name}: ${plan.concurrent.streams} concurrent streams ≥ ${CONCURRENT_TARGET}× floor throughput`,
      figure: formatRatio(throughput),
      met: throughput >= CONCURRENT_TARGET,
    });
    if (!plan.sharedProcess) {
      const configured = ratio(
        value(client.name, "cold-config", (result) => result.firstRequestMs),
        value(client.name, "cold", (result) => result.firstRequestMs),
      );
      checks.push({
        target: `${client.name}: first request with a per-turn InferenceConfig ≤ ${CONFIG_FIRST_REQUEST_TARGET}× without`,
        figure: formatRatio(configured),
        met: configured <= CONFIG_FIRST_REQUEST_TARGET,
      });
    }
    for (const chunks of plan.toolChunks) {
      const perChunk = ratio(
        value(client.name, specs.tool(chunks), cpuPer(chunks)),
        floorValue(client, specs.tool(chunks), cpuPer(chunks)),
      );
      checks.push({
        target: `${client.name}: CPU per tool-argument chunk (${chunks}) ≤ ${bound}× floor`,
        figure: formatRatio(perChunk),
        met: perChunk <= bound,
      });
    }
    const growth = growthRatio(
      new Map(
        plan.toolChunks.map((chunks) => [chunks, value(client.name, specs.tool(chunks), cpuPer(chunks))]),
      ),
    );
    checks.push({
      target: `${client.name}: tool arguments grow linearly (per-chunk cost ${plan.toolChunks.at(-1)} vs ${plan.toolChunks[0]} ≤ 1.5×)`,
      figure: formatRatio(growth),
      met: growth <= 1.5,
    });
    const imported = importMedian(client.name);
    checks.push({
      target: `${client.name}: core + engine import < ${IMPORT_TARGET_MS} ms`,
      figure: `${formatNumber(imported)} ms`,
      met: imported < IMPORT_TARGET_MS,
    });
    const peers = clients.filter(
      (peer) => peer.protocol === client.protocol && !peer.floor && !peer.geppetto,
    );
    for (const { name, spec, metric, higherIsBetter, unit } of metrics) {
      const mine = value(client.name, spec, metric);
      const behind = peers.filter((peer) => {
        const theirs = value(peer.name, spec, metric);
        return !(higherIsBetter ? mine > theirs : mine < theirs);
      });
      checks.push({
        target: `${client.name} ahead of every peer: ${name}`,
        figure:
          behind.length === 0
            ? `${formatNumber(mine)} ${unit}`
            : `${formatNumber(mine)} ${unit}; behind ${behind
                .map((peer) => `${peer.name} (${formatNumber(value(peer.name, spec, metric))})`)
                .join(", ")}`,
        met: behind.length === 0 && Number.isFinite(mine),
      });
    }
    const importBehind = peers.filter((peer) => !(imported < importMedian(peer.name)));
    checks.push({
      target: `${client.name} ahead of every peer: import`,
      figure:
        importBehind.length === 0
          ? `${formatNumber(imported)} ms`
          : `behind ${importBehind.map((peer) => `${peer.name} (${formatNumber(importMedian(peer.name))} ms)`).join(", ")}`,
      met: importBehind.length === 0 && Number.isFinite(imported),
    });
  }
  const mcp = Object.entries(input.extras.medians).find(([title]) => title.startsWith("MCP tool call"))?.[1];
  if (mcp?.overheadUs !== undefined && mcp.firstInferenceMs !== undefined && mcp.slowStartMs !== undefined) {
    checks.push({
      target: "MCP: overhead per tool call over a local tool ≤ 2 ms (stdio)",
      figure: `${formatNumber(mcp.overheadUs / 1000)} ms`,
      met: mcp.overheadUs <= 2000,
    });
    checks.push({
      target: "MCP: a connecting server does not delay the first inference (< 1/10 of its start-up)",
      figure: `${formatNumber(mcp.firstInferenceMs)} ms (server start-up ${formatNumber(mcp.slowStartMs)} ms)`,
      met: mcp.firstInferenceMs < mcp.slowStartMs / 10,
    });
  }

  const stores = input.extras.medians[STORES_TITLE];
  if (stores?.postgresTurnRatio !== undefined) {
    checks.push({
      target: "PostgreSQL: per-turn save at turn 1,000 ≤ 2× turn 20",
      figure: formatRatio(stores.postgresTurnRatio),
      met: stores.postgresTurnRatio <= 2,
    });
    for (const [name, key] of [
      ["SQLite", "sqliteSearchGrowth"],
      ["PostgreSQL", "postgresSearchGrowth"],
    ] as const) {
      checks.push({
        target: `${name}: a search at 1,000 turns of an unrelated session ≤ 1.5× at 20 (index, no scan)`,
        figure: formatRatio(stores[key] ?? Number.NaN),
        met: (stores[key] ?? Number.POSITIVE_INFINITY) <= 1.5,
      });
    }
  }

  const core = importMedian("geppetto core alone");
  for (const [name, list] of input.samples.imports) {
    if (name.startsWith("geppetto core")) {
      checks.push({
        target: `${name}: import < ${IMPORT_TARGET_MS} ms`,
        figure: `${formatNumber(median(list))} ms`,
        met: median(list) < IMPORT_TARGET_MS,
      });
    }
    if (!name.startsWith("geppetto/")) continue;
    const share = ratio(median(list), core);
    checks.push({
      target: `${name} imports in ≤ ${SUBPATH_IMPORT_TARGET}× the core's time`,
      figure: `${formatRatio(share)} (${formatNumber(median(list))} vs ${formatNumber(core)} ms)`,
      met: share <= SUBPATH_IMPORT_TARGET,
    });
  }
  const helpOver =
    median(samples.coldStart.get("node bin/geppetto.js --help") ?? []) -
    median(samples.coldStart.get("node -e 0 (bare Node start)") ?? []);
  checks.push({
    target: `geppetto --help ≤ ${HELP_OVER_NODE_MS} ms over bare Node`,
    figure: `${formatNumber(helpOver)} ms`,
    met: helpOver <= HELP_OVER_NODE_MS,
  });

  const out: string[] = [];
  out.push("# Benchmark results", "");
  out.push(
    `Produced by \`npm run bench${plan.mode === "quick" ? " -- --quick" : ""}\` (${plan.mode} mode, ` +
      `${plan.repetitions} repetitions, medians) on ${new Date().toISOString()} in ${input.elapsedSeconds.toFixed(0)} s.`,
    "",
    ...environmentLines(),
    `- 1-minute load average: ${formatNumber(samples.loadAverage.start)} at start, ` +
      `${formatNumber(samples.loadAverage.end)} at end (anything above 0 is other work sharing the machine)`,
    "",
  );
  const met = checks.filter((check) => check.met).length;
  const verdicts = plan.mode === "full";
  if (verdicts) {
    out.push(`## Targets: ${met} of ${checks.length} met`, "");
    out.push(
      markdownTable(
        ["Target", "Measured", "Status"],
        checks.map((check) => [check.target, check.figure, check.met ? "met" : "**NOT MET**"]),
      ),
      "",
    );
  } else {
    out.push(
      "## Targets: no verdicts in quick mode",
      "",
      "Quick mode runs every scenario of a client in one process with small sizes, which compresses the ratios;",
      "only a full run (`npm run bench`) checks the targets. The figures below are for development.",
      "",
    );
  }
  const rows = (build: (client: ClientDefinition) => string[]) =>
    clients.map((client) => [label(client), ...build(client)]);
  out.push(`## One stream of ${plan.streamTokens.toLocaleString("en-US")} tokens`, "");
  out.push(
    markdownTable(
      ["Client", "CPU µs/token", "× floor", "wall µs/token", "× floor"],
      rows((client) => [
        ...cell(client, specs.stream, cpuPer(plan.streamTokens)),
        ...cell(client, specs.stream, wallUsPer(plan.streamTokens)),
      ]),
    ),
    "",
  );
  out.push(
    `## Promises per streamed token (one ${plan.promiseTokens.toLocaleString("en-US")}-token request, async_hooks count)`,
    "",
    markdownTable(
      ["Client", "promises/token"],
      rows((client) => [
        formatNumber(value(client.name, specs.promises, (result) => result.promisesPerToken)),
      ]),
    ),
    "",
  );
  out.push(
    `## ${plan.concurrent.streams} concurrent streams of ${plan.concurrent.tokens} tokens`,
    "",
    markdownTable(
      ["Client", "tokens/s (wall)", "× floor", "CPU µs/token", "× floor", "peak RSS MB", "× floor"],
      rows((client) => [
        ...cell(client, specs.concurrent, (result) => result.tokensPerSecond),
        ...cell(client, specs.concurrent, cpuPer(totalTokens)),
        ...cell(client, specs.concurrent, (result) => result.peakRssMB),
      ]),
    ),
    "",
  );
  out.push(
    `## Time to first token over ${plan.firstToken.requests} sequential one-token requests`,
    "",
    markdownTable(
      ["Client", "p50 ms", "× floor", "p99 ms", "× floor"],
      rows((client) => [
        ...cell(client, specs.ttft, (result) => result.p50Ms),
        ...cell(client, specs.ttft, (result) => result.p99Ms),
      ]),
    ),
    "",
  );
  out.push(
    "## One tool call, arguments in N chunks (CPU µs per chunk)",
    "",
    markdownTable(
      [
        "Client",
        ...plan.toolChunks.flatMap((chunks) => [`${chunks.toLocaleString("en-US")} chunks`, "× floor"]),
        `growth ${plan.toolChunks.at(-1)} vs ${plan.toolChunks[0]}`,
      ],
      rows((client) => [
        ...plan.toolChunks.flatMap((chunks) => cell(client, specs.tool(chunks), cpuPer(chunks))),
        formatRatio(
          growthRatio(
            new Map(
              plan.toolChunks.map((chunks) => [
                chunks,
                value(client.name, specs.tool(chunks), cpuPer(chunks)),
              ]),
            ),
          ),
        ),
      ]),
    ),
    "",
    "Growth = per-chunk cost at the largest size ÷ per-chunk cost at the smallest: ≈ 1 is linear, a quadratic",
    `client grows towards ${formatNumber((plan.toolChunks.at(-1) ?? 1) / (plan.toolChunks[0] ?? 1))}×.`,
    "",
  );
  out.push(
    "## Import and cold start (fresh process each, wall ms)",
    "",
    markdownTable(
      ["Imported", "ms"],
      [...samples.imports.entries()].map(([name, list]) => [name, formatNumber(median(list))]),
    ),
    "",
  );
  out.push(
    markdownTable(
      [
        "Client",
        "import in its process, ms",
        "first request after import, ms",
        "× floor",
        "both, ms",
        "first request with a per-turn config, ms",
      ],
      rows((client) => [
        formatNumber(value(client.name, "cold", (result) => result.importMs)),
        ...cell(client, "cold", (result) => result.firstRequestMs),
        formatNumber(value(client.name, "cold", coldTotal)),
        formatNumber(value(client.name, "cold-config", (result) => result.firstRequestMs)),
      ]),
    ),
    "",
    "The first request pays for lazy initialisation (the platform fetch, code compiled on first use).",
    "",
  );
  const bare = median(samples.coldStart.get("node -e 0 (bare Node start)") ?? []);
  out.push(
    markdownTable(
      ["Command", "wall ms", "× bare Node"],
      [...samples.coldStart.entries()].map(([name, list]) => [
        name,
        formatNumber(median(list)),
        formatRatio(ratio(median(list), bare)),
      ]),
    ),
    "",
  );
  out.push(...input.extras.markdown, "");
  if (input.unavailable.length > 0) {
    out.push(
      `Not available in this run (dist module missing): ${input.unavailable.map((c) => c.name).join(", ")}.`,
      "",
    );
  }
  if (samples.failures.length > 0) {
    out.push("## FAILURES", "", ...samples.failures.map((failure) => `- ${failure}`), "");
  }
  out.push("## Clients", "", ...clients.map((client) => `- \`${client.name}\`: ${client.label}`), "");
  out.push(
    "## Method",
    "",
    "- The provider server (`bench/server.ts`) runs in its own process, so its CPU is not counted; it writes",
    "  10 SSE events per socket write and yields between writes. Responses are prebuilt and cached.",
    "- Every client runs in a fresh child process (`process.execPath`), clients interleaved and rotated each",
    "  repetition. The stream and tool scenarios repeat their request until about " +
      `${plan.steadyUnits.toLocaleString("en-US")} tokens/chunks`,
    "  have streamed, unmeasured (warm-up: V8 compiles on background threads whose CPU `process.cpuUsage()`",
    "  counts), then measure 9 samples of about 10,000 tokens/chunks each and keep the median sample, so one",
    "  garbage collection or burst of other work does not move a child's figure. The concurrent scenario runs one",
    "  unmeasured round of the same shape, then three measured, and keeps the median by wall time. The other",
    "  scenarios warm up with small requests. CPU is `process.cpuUsage()` (user + system, whole process); wall is",
    "  `performance.now()`. Figures are medians over the repetitions.",
    "- Every client asserts it received the full text / the full tool arguments, and the run fails otherwise.",
    "- The floor is the cheapest honest consumer of the same wire: fetch, a newline search for the SSE framing,",
    "  JSON.parse of each data line, one callback per token. `× floor` divides by it (for throughput, higher is",
    "  better; for everything else, lower). Text tokens are word pieces with multi-byte UTF-8 (accents, CJK,",
    "  emoji); an OpenAI Chat text event is about 280 bytes on the wire (id, fingerprint, `obfuscation`), an",
    "  Anthropic one about 120.",
    "- `geppetto-stream` and `geppetto-claude-stream` read `streamInference` with `for await`; the others use",
    "  a sink. Promises are counted with an async_hooks `init` hook during one request, after a warm-up.",
    plan.sharedProcess
      ? "- Quick mode times imports inside each client's process (`load()`), after the harness's own modules."
      : "- Imports are timed with `bench/import-probe.ts` (`await import` of the listed modules, fresh process).",
    plan.sharedProcess ? "- Quick mode: one process runs all of a client's stream scenarios in turn." : "",
    "",
  );
  const summary = [
    "Headline (medians):",
    ...clients.map(
      (client) =>
        `  ${client.name.padEnd(16)} CPU/token ${formatRatio(ratio(value(client.name, specs.stream, cpuPer(plan.streamTokens)), floorValue(client, specs.stream, cpuPer(plan.streamTokens))))} floor`,
    ),
    ...(verdicts
      ? checks.map((check) => `  ${check.met ? "met    " : "NOT MET"} ${check.target}: ${check.figure}`)
      : ["  (quick mode: no target verdicts; run `npm run bench` for them)"]),
  ].join("\n");
  return { markdown: out.join("\n"), summary };
}
