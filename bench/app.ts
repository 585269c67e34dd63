/**
 * The application API's figures, each a ratio against a baseline measured in the same run:
 *
 * 1. `generateText` against `engine.runInference` for a 10,000-token answer over real HTTP (the bench provider
 *    server, in its own process, OpenAI Chat wire): client CPU per call, the median of paired ratios over
 *    rotated repetitions with an A/A noise floor (see `generate-text.ts`, which also runs alone).
 * 2. `streamObject`'s incremental JSON parser on answers of 10 KB, 30 KB, 100 KB and 1 MB fed in 4-character deltas:
 *    time per KB at each size (linear parsing keeps it flat), next to re-parsing the text so far on every delta
 *    with the prefix parser (`parsePartialJson`), which grows with the size (10 KB and 30 KB only: it is
 *    quadratic, 100 KB takes minutes).
 * 3. `streamObject` end to end over the ScriptedEngine at the same sizes: time per KB.
 * Times are process CPU time (medians), so other work on a shared machine does not count.
 *
 *   npm run build && npx node --expose-gc bench/app.ts [--runs 21] [--quick]
 */
import { describeGenerateText, measureGenerateText } from "./generate-text.ts";
import { startServer } from "./processes.ts";

const corePath = "../dist/index.js";
const structuredPath = "../dist/structured/index.js";
const testingPath = "../dist/testing/index.js";
const core = (await import(corePath)) as typeof import("../src/index.ts");
const { IncrementalJsonParser, parsePartialJson } = (await import(
  structuredPath
)) as typeof import("../src/structured/index.ts");
const { ScriptedEngine, script } = (await import(testingPath)) as typeof import("../src/testing/index.ts");

const quick = process.argv.includes("--quick");
const runsIndex = process.argv.indexOf("--runs");
const runs = runsIndex >= 0 ? Number(process.argv[runsIndex + 1]) : quick ? 15 : 21;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function generateTextOverhead(): Promise<void> {
  const server = await startServer();
  try {
    // At least 15 repetitions however quick: fewer cannot tell a 5 % overhead from the noise.
    const figures = await measureGenerateText(server.port, {
      repetitions: Math.max(15, runs),
      calls: quick ? 2 : 4,
    });
    console.log(describeGenerateText(figures));
  } finally {
    await server.stop();
  }
}

/** An `output: "array"` answer of about `bytes` bytes. */
function answerOf(bytes: number): string {
  const elements: unknown[] = [];
  let length = 14;
  for (let index = 0; length < bytes; index++) {
    const element = {
      name: `city number ${index} é`,
      population: index * 1.5,
      tags: ["a", 'b"c'],
      ok: index % 2 === 0,
    };
    elements.push(element);
    length += JSON.stringify(element).length + 1;
  }
  return JSON.stringify({ elements });
}

function deltasOf(text: string, size = 4): string[] {
  const out: string[] = [];
  for (let index = 0; index < text.length; index += size) out.push(text.slice(index, index + size));
  return out;
}

/** Median CPU time of `run` (CPU, not wall time: the machine may be shared). */
function timeMs(run: () => void, repetitions: number): number {
  const times: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const start = cpuMs();
    run();
    times.push(cpuMs() - start);
  }
  return median(times);
}

function parserLinearity(): void {
  const sizes = [10_000, 30_000, 100_000, 1_000_000];
  // Warm-up: compile the parser's paths before the first timed size.
  const warm = new IncrementalJsonParser();
  for (const delta of deltasOf(answerOf(1_000_000))) warm.push(delta);
  console.log("streamObject's incremental parser, 4-character deltas:");
  let first: number | undefined;
  for (const size of sizes) {
    const deltas = deltasOf(answerOf(size));
    const incremental = timeMs(
      () => {
        const parser = new IncrementalJsonParser({ elementsKey: "elements", onElement: () => {} });
        for (const delta of deltas) parser.push(delta);
        if (!parser.done) throw new Error("incomplete");
      },
      size >= 1_000_000 ? 5 : 9,
    );
    const perKb = incremental / (size / 1000);
    first ??= perKb;
    console.log(
      `  ${(size / 1000).toFixed(0).padStart(5)} KB: ${incremental.toFixed(2)} ms, ${(perKb * 1000).toFixed(1)} µs/KB ` +
        `(${(perKb / first).toFixed(2)}× the 10 KB rate)`,
    );
  }
  // The baseline, after the timings above (its garbage would disturb them): the prefix parser on the text so far
  // at every delta, which is quadratic.
  console.log("re-parsing the text so far on every delta (parsePartialJson), for comparison:");
  for (const size of [10_000, 30_000]) {
    const deltas = deltasOf(answerOf(size));
    const ms = timeMs(() => {
      let text = "";
      for (const delta of deltas) {
        text += delta;
        parsePartialJson(text);
      }
    }, 1);
    console.log(
      `  ${(size / 1000).toFixed(0).padStart(5)} KB: ${ms.toFixed(0)} ms, ${(ms / (size / 1000)).toFixed(1)} ms/KB`,
    );
  }
}

async function streamObjectLinearity(): Promise<void> {
  const schema = {
    type: "object",
    properties: { name: { type: "string" }, population: { type: "number" } },
    required: ["name"],
  };
  console.log("streamObject end to end (ScriptedEngine, 4-character deltas, every partial read):");
  let first: number | undefined;
  for (const size of [10_000, 100_000, 1_000_000]) {
    const text = answerOf(size);
    const times: number[] = [];
    for (let repetition = 0; repetition < (size >= 1_000_000 ? 3 : 5); repetition++) {
      const engine = new ScriptedEngine([script.text(text, { chunkSize: 4 })]);
      const start = cpuMs();
      const stream = core.streamObject({ model: engine, schema, output: "array", prompt: "cities" });
      let partials = 0;
      for await (const _partial of stream) partials++;
      const cities = await stream.object;
      if (cities.length === 0 || partials === 0) throw new Error("nothing streamed");
      times.push(cpuMs() - start);
    }
    const perKb = median(times) / (size / 1000);
    first ??= perKb;
    console.log(
      `  ${(size / 1000).toFixed(0).padStart(5)} KB: ${median(times).toFixed(1)} ms, ${(perKb * 1000).toFixed(1)} µs/KB (${(perKb / first).toFixed(2)}× the 10 KB rate)`,
    );
  }
}

parserLinearity();
await streamObjectLinearity();
await generateTextOverhead();
