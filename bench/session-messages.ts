/**
 * `UnarySession.messages()` over a long conversation, against a baseline measured in the same run: 1,000 turns of
 * one UnarySession (ScriptedEngine, in-memory store; each turn a question and a ~330-character answer), calling
 * `messages()` after every turn, as a chat UI that redraws does. The baseline is what `messages()` did before:
 * `messagesFromTurn` over the whole Turn, timed on the same Turn right after each call.
 *
 * Per call: wall time of `messages()` (median of turns 11–30 "early" and 991–1,000 "late"), and of the whole-Turn
 * rebuild, interleaved on the same Turns. Target: late ÷ early close to 1 for `messages()` beyond the copy of the list (work per call
 * grows with what is new); the rebuild grows with the conversation.
 *
 *   npm run build && npx node bench/session-messages.ts           # 1,000 turns
 *   npm run build && npx node bench/session-messages.ts --quick   # 300 turns
 */
import { loadavg } from "node:os";
import { formatNumber, formatRatio, markdownTable, median } from "./stats.ts";

// biome-ignore lint/suspicious/noExplicitAny: dist modules are loaded dynamically, typed at the call sites.
type Module = any;
const load = (path: string): Promise<Module> => import(new URL(`../dist/${path}`, import.meta.url).href);

const quick = process.argv.includes("--quick");
const TURNS = quick ? 300 : 1_000;
const EARLY = [11, 30] as const;
const LATE = [TURNS - 9, TURNS] as const;

/** Microseconds of `work` (wall time on the high-resolution clock). */
async function micros(work: () => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1000;
}

async function main(): Promise<void> {
  const sessions = await load("sessions/index.js");
  const testing = await load("testing/index.js");
  const answer = `The answer: ${"when the input is empty the function returns the default value. ".repeat(5)}`;
  const engine = new testing.ScriptedEngine([[...testing.script.text(answer), testing.script.stop("stop")]], {
    repeatLast: true,
  });
  const session = await sessions.UnarySession.open({ engine, systemPrompt: "You are brief." });
  const incremental: number[] = [];
  const rebuild: number[] = [];
  for (let turn = 1; turn <= TURNS; turn++) {
    const result = await session.execute("user", `Question ${turn}: what about an empty input?`);
    await session.saved();
    let count = 0;
    // Interleaved, on the same Turn: the session's messages() (what is new since the last call), then the rebuild.
    incremental.push(
      await micros(async () => {
        count = (await session.messages()).length;
      }),
    );
    rebuild.push(await micros(() => sessions.messagesFromTurn(result.turn)));
    if (count !== 2 * turn + 1) throw new Error(`turn ${turn}: ${count} messages`);
  }
  const window = (samples: number[], [from, to]: readonly [number, number]) =>
    median(samples.slice(from - 1, to));
  const rows = [
    ["messages() (grows with what is new)", incremental],
    ["messagesFromTurn over the whole Turn (before)", rebuild],
  ].map(([name, samples]) => {
    const early = window(samples as number[], EARLY);
    const late = window(samples as number[], LATE);
    return [name as string, formatNumber(early), formatNumber(late), formatRatio(late / early)];
  });
  const lateRatio = window(rebuild, LATE) / window(incremental, LATE);
  process.stdout.write(
    `UnarySession.messages(), ${TURNS} turns, one call per turn (load average ${loadavg()
      .map((value) => value.toFixed(1))
      .join(" ")})\n\n${markdownTable(
      ["per call", `µs, turns ${EARLY.join("–")}`, `turns ${LATE.join("–")}`, "late ÷ early"],
      rows,
    )}\nAt turns ${LATE.join("–")}, the whole-Turn rebuild costs ${formatRatio(lateRatio)} a messages() call.\n`,
  );
}

await main();
