/**
 * FileStateStore over a long conversation, every figure against a baseline measured in the same run: 1,000
 * turns of one conversation (each turn adds a user and an assistant block and a new turn metadata, then saves,
 * as a UnarySession does), on the append-log FileStateStore and, for reference, on a store that rewrites the
 * whole document atomically per save (what FileStateStore did before).
 *
 * Per save: bytes written (the file's growth, or the whole file for the rewrite), the process's CPU time (the
 * figure: it counts the file system threads too, and the wall time of a flushed write on a loaded machine is
 * mostly waiting), and wall time; each as the median of turns 11–30 ("early") and of turns 991–1,000 ("late").
 * The log runs first, then the rewrite (whose garbage would otherwise be collected during the log's saves). Target: late ÷ early at most 1.5
 * for the log's bytes and CPU (work per save grows with what is new, not with the conversation).
 *
 *   npm run build && npx node bench/file-state-store.ts           # 1,000 turns
 *   npm run build && npx node bench/file-state-store.ts --quick   # 300 turns
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { formatNumber, formatRatio, markdownTable, median } from "./stats.ts";

// biome-ignore lint/suspicious/noExplicitAny: dist modules are loaded dynamically, typed at the call sites.
type Module = any;
const load = (path: string): Promise<Module> => import(new URL(`../dist/${path}`, import.meta.url).href);

const quick = process.argv.includes("--quick");
const TURNS = quick ? 300 : 1_000;
const EARLY = [11, 30] as const;
const LATE = [TURNS - 9, TURNS] as const;

interface Sample {
  bytes: number;
  cpuMs: number;
  ms: number;
}

interface Measured {
  file: string;
  save: (state: Module) => Promise<void>;
  /** The whole file is written per save (a rewrite), rather than appended to. */
  wholeFile: boolean;
  samples: Sample[];
  size: number;
}

/** The conversation at every turn: frozen blocks shared from one turn to the next. */
function conversation(builders: Module, immutable: Module): Module[] {
  const states: Module[] = [];
  let blocks: Module[] = [];
  for (let turn = 1; turn <= TURNS; turn++) {
    blocks = [
      ...blocks,
      builders.newUserTextBlock(`Question ${turn}: what about the case where the input is empty, again?`),
      builders.newAssistantTextBlock(
        `Answer ${turn}: ${"When the input is empty the function returns the default value. ".repeat(5)}`,
      ),
    ];
    const metadata = {
      "geppetto.inference_result@v1": {
        provider: "openai",
        model: "gpt-4.1",
        finishClass: "completed",
        truncated: false,
        usage: { inputTokens: 40 * turn, outputTokens: 90 },
      },
    };
    states.push({
      conversationId: "long",
      turn: immutable.frozenTurn(`turn-${turn}`, blocks, metadata, {}),
      variables: { user: "Ada" },
      metadata: { channel: "bench" },
    });
  }
  return states;
}

async function measure(state: Module, store: Measured): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await store.save(state);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const now = statSync(store.file).size;
  store.samples.push({
    bytes: store.wholeFile ? now : now - store.size,
    cpuMs: (used.user + used.system) / 1000,
    ms,
  });
  store.size = now;
}

function window(samples: Sample[], [from, to]: readonly [number, number], key: keyof Sample): number {
  return median(samples.slice(from - 1, to).map((sample) => sample[key]));
}

async function main(): Promise<void> {
  const sessions = await load("sessions/index.js");
  const builders = await load("turns/builders.js");
  const immutable = await load("turns/immutable.js");
  const states = conversation(builders, immutable);
  const directory = mkdtempSync(join(tmpdir(), "geppetto-bench-file-state-"));
  try {
    const store = new sessions.FileStateStore(join(directory, "log"));
    const log: Measured = {
      file: store.fileOf("long"),
      save: (state) => store.save(state),
      wholeFile: false,
      samples: [],
      size: 0,
    };
    const rewriteFile = join(directory, "long.json");
    let sequence = 0;
    const rewrite: Measured = {
      file: rewriteFile,
      save: async (state) => {
        const temporary = `${rewriteFile}.${++sequence}.tmp`;
        const handle = await open(temporary, "w");
        await handle.writeFile(sessions.encodeConversationState(state, 2));
        await handle.sync();
        await handle.close();
        await rename(temporary, rewriteFile);
      },
      wholeFile: true,
      samples: [],
      size: 0,
    };
    // One store after the other: the rewrite's garbage (the whole document per save) would otherwise be
    // collected during the log's saves and counted in their CPU time.
    for (const state of states) await measure(state, log);
    for (const state of states) await measure(state, rewrite);
    const rows: string[][] = [];
    for (const [name, run] of [
      ["FileStateStore (append log)", log.samples],
      ["whole-document rewrite (before)", rewrite.samples],
    ] as const)
      for (const [what, key] of [
        ["bytes written", "bytes"],
        ["CPU ms", "cpuMs"],
        ["wall ms", "ms"],
      ] as const)
        rows.push([
          name,
          what,
          formatNumber(window(run, EARLY, key)),
          formatNumber(window(run, LATE, key)),
          formatRatio(window(run, LATE, key) / window(run, EARLY, key)),
        ]);
    process.stdout.write(
      `FileStateStore, ${TURNS} turns, one save per turn (load average ${loadavg()
        .map((value) => value.toFixed(1))
        .join(" ")})\n\n${markdownTable(
        [
          "store",
          "per save",
          `turns ${EARLY.join("–")}`,
          `turns ${LATE.join("–")}`,
          "late ÷ early (log: ≤ 1.5 for bytes and CPU)",
        ],
        rows,
      )}\n`,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
