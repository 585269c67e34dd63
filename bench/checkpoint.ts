/**
 * Streaming-checkpoint benchmark: the CPU per streamed token of one long answer through a Session, with a SQLite
 * persister attached (which checkpoints the answer while it streams) against the same Session without one,
 * measured in the same process, alternating, median of the repetitions. Target: ≤ 1.1×.
 *
 * The engine is the ScriptedEngine (no network), so a token costs little and the persister's share is as large
 * as it gets; the answer is paced (a 4 ms pause every 50 tokens: about 12,000 tokens a second) so that it
 * streams for several checkpoint intervals. A third row, the persister with checkpoints off, shows what the checkpoints themselves add.
 * Each repetition runs the variants back to back (alternating their order), so its ratio is a same-run figure; the
 * verdict is the median of the repetitions' ratios, and every repetition's ratio is printed.
 *
 *   npm run build && npx node --expose-gc bench/checkpoint.ts [--quick] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "./stats.ts";

interface SessionModule {
  EngineBuilder: new () => Builder;
  Session: new (options: {
    id: string;
    runner: Builder;
  }) => {
    appendNewTurnFromUserPrompt(text: string): void;
    startInference(): { wait(): Promise<{ blocks: unknown[] }> };
  };
  openSqliteTurnStore(path: string): Promise<Store>;
}
interface Builder {
  withBase(engine: unknown): Builder;
  withPersister(store: Store): Builder;
  withCheckpoint(checkpoint: false): Builder;
}
interface Store {
  stats(): { saves: number };
  close(): Promise<void>;
}
interface TestingModule {
  ScriptedEngine: new (steps: unknown[]) => unknown;
}

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const session = (await import(dist("session/index.js"))) as SessionModule;
const testing = (await import(dist("testing/index.js"))) as TestingModule;
const quick = process.argv.includes("--quick");
const TOKENS = quick ? 10_000 : 40_000;
const REPETITIONS = quick ? 3 : 9;

function answer(): unknown[] {
  const steps: unknown[] = [];
  for (let index = 0; index < TOKENS; index++) {
    steps.push({ type: "text", text: ` tok${index % 1000}` });
    if (index % 50 === 49) steps.push({ type: "pause", ms: 4 });
  }
  return steps;
}

type Variant = "no persister" | "persister, checkpoints" | "persister, no checkpoints";

async function measure(
  variant: Variant,
  directory: string,
  run: number,
): Promise<{ cpuUs: number; saves: number }> {
  let builder = new session.EngineBuilder().withBase(new testing.ScriptedEngine(answer()));
  let store: Store | undefined;
  if (variant !== "no persister") {
    store = await session.openSqliteTurnStore(join(directory, `run-${run}.db`));
    builder = builder.withPersister(store);
    if (variant === "persister, no checkpoints") builder = builder.withCheckpoint(false);
  }
  const chat = new session.Session({ id: `bench-${run}`, runner: builder });
  chat.appendNewTurnFromUserPrompt("Tell me a long story.");
  // The previous run's garbage is collected outside the measurement (run with --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.cpuUsage();
  await chat.startInference().wait();
  const used = process.cpuUsage(before);
  const saves = store?.stats().saves ?? 0;
  await store?.close();
  return { cpuUs: used.user + used.system, saves };
}

const directory = mkdtempSync(join(tmpdir(), "geppetto-bench-checkpoint-"));
const variants: Variant[] = ["no persister", "persister, checkpoints", "persister, no checkpoints"];
const samples = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
const saves = new Map<Variant, number>();
try {
  let run = 0;
  for (const variant of variants) await measure(variant, directory, run++); // warm-up
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    const order = repetition % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const figure = await measure(variant, directory, run++);
      samples.get(variant)!.push(figure.cpuUs / TOKENS);
      saves.set(variant, figure.saves);
    }
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}

/** Per repetition: the variant's CPU over the no-persister run of the same repetition. */
const ratiosOf = (variant: Variant) =>
  samples.get(variant)!.map((sample, index) => sample / samples.get("no persister")![index]!);
const rows = variants.map((variant) => {
  const perToken = median(samples.get(variant)!);
  const ratios = ratiosOf(variant);
  return {
    variant,
    cpuUsPerToken: perToken,
    ratio: median(ratios),
    ratios,
    saves: saves.get(variant) ?? 0,
  };
});
if (process.argv.includes("--json")) console.log(JSON.stringify({ tokens: TOKENS, rows }));
else {
  console.log(`CPU per token, one answer of ${TOKENS} tokens through a Session (median of ${REPETITIONS})`);
  console.log("| variant | µs per token | × no persister (median) | each repetition | saves per answer |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const row of rows)
    console.log(
      `| ${row.variant} | ${row.cpuUsPerToken.toFixed(2)} | ${row.ratio.toFixed(3)} | ${row.ratios.map((ratio) => ratio.toFixed(2)).join(" ")} | ${row.saves} |`,
    );
  const checkpointed = rows[1]!;
  console.log(
    `with a persister (checkpoints on): ${checkpointed.ratio.toFixed(3)}× (target ≤ 1.1×${quick ? ", quick mode: no verdict" : checkpointed.ratio <= 1.1 ? ": met" : ": NOT met"})`,
  );
}
