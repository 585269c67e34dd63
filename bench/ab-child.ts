/**
 * One A/B measurement in a fresh process (run by ab.ts): loads geppetto from the given dist directory, streams one
 * workload from the bench server through one wire's engine, first unmeasured (warm-up), then measured, checks the
 * whole text or tool arguments arrived, and prints `{"minUsPerUnit": N, "meanUsPerUnit": M}` (process CPU, user +
 * system, per token or per argument chunk, of the cheapest and of the mean measured request). The client code is the same whatever the dist directory, so two builds compare as they
 * are. Profile one side with `npx node --cpu-prof bench/ab-child.ts …`.
 *
 *   npx node bench/ab-child.ts --dist DIR --wire chat --workload text-10000 --mode sink --port N [--steady 20000]
 */
import { pathToFileURL } from "node:url";
import { assertText, assertToolArguments, parseWorkloadModel } from "./workload.ts";

/** The wires ab.ts measures. */
export const WIRES = ["chat", "responses", "anthropic", "gemini", "ollama"] as const;
/** One of the wires. */
export type Wire = (typeof WIRES)[number];

interface Block {
  kind: string;
  payload: { text?: string; args?: unknown };
}
interface Turn {
  blocks: Block[];
}
interface Event {
  type: string;
  delta?: string;
}
interface Engine {
  runInference(turn: Turn, ctx: unknown): Promise<Turn>;
}
interface Core {
  RunContext: { background(): { withSinks(sink: { publish(event: Event): void }): unknown } };
  newTurn(blocks: unknown[]): Turn;
  newUserTextBlock(text: string): unknown;
  assistantText(turn: Turn): string;
  streamInference(engine: Engine, turn: Turn): AsyncIterable<Event> & { result: Promise<{ turn: Turn }> };
}

function flag(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`ab-child: missing --${name}`);
  return value;
}

/** Where each wire's engine lives in dist/ and how it is built against the bench server at `origin`. */
const ENGINES: Record<Wire, { module: string; create: string; options(origin: string): object }> = {
  chat: {
    module: "providers/openai/index.js",
    create: "createOpenAIChatEngine",
    options: (origin) => ({ apiKey: "bench", baseURL: `${origin}/v1`, client: { maxRetries: 0 } }),
  },
  responses: {
    module: "providers/openai-responses/index.js",
    create: "createOpenAIResponsesEngine",
    options: (origin) => ({ apiKey: "bench", baseURL: `${origin}/v1`, client: { maxRetries: 0 } }),
  },
  anthropic: {
    module: "providers/anthropic/index.js",
    create: "createClaudeEngine",
    options: (origin) => ({
      apiKey: "bench",
      baseURL: origin,
      client: { maxRetries: 0 },
      inference: { maxResponseTokens: 100_000 },
    }),
  },
  gemini: {
    module: "providers/gemini/index.js",
    create: "createGeminiEngine",
    options: (origin) => ({ apiKey: "bench", baseURL: `${origin}/v1beta`, client: { maxRetries: 0 } }),
  },
  ollama: {
    module: "providers/ollama/index.js",
    create: "createOllamaEngine",
    options: (origin) => ({ baseURL: origin, client: { maxRetries: 0 } }),
  },
};

/** One request through the engine, read by a sink or by `for await`; returns the finished Turn and the deltas. */
async function request(core: Core, engine: Engine, input: Turn, mode: string) {
  let text = "";
  let argumentDeltas = 0;
  const publish = (event: Event): void => {
    if (event.type === "partial" && event.delta) text += event.delta;
    else if (event.type === "tool-call-arguments-delta") argumentDeltas++;
  };
  if (mode === "stream") {
    const stream = core.streamInference(engine, input);
    for await (const event of stream) publish(event);
    return { turn: (await stream.result).turn, text, argumentDeltas };
  }
  const turn = await engine.runInference(input, core.RunContext.background().withSinks({ publish }));
  return { turn, text, argumentDeltas };
}

async function main(): Promise<void> {
  const dist = pathToFileURL(`${flag("dist").replace(/\/$/, "")}/`);
  const wire = flag("wire") as Wire;
  const model = flag("workload");
  const mode = flag("mode", "sink");
  const workload = parseWorkloadModel(model);
  if (!workload || !ENGINES[wire]) throw new Error(`ab-child: bad --wire ${wire} or --workload ${model}`);
  const core = (await import(new URL("index.js", dist).href)) as Core;
  const spec = ENGINES[wire];
  const provider = (await import(new URL(spec.module, dist).href)) as Record<string, (o: object) => Engine>;
  const engine = provider[spec.create]!({ model, ...spec.options(`http://127.0.0.1:${flag("port")}`) });
  const input = core.newTurn([core.newUserTextBlock("Summarise the attached report in a few paragraphs.")]);
  const units = workload.kind === "text" ? workload.tokens : workload.chunks;
  const check = ({ turn, text, argumentDeltas }: Awaited<ReturnType<typeof request>>): void => {
    if (workload.kind === "text") {
      assertText(wire, workload.tokens, core.assistantText(turn));
      if (text !== core.assistantText(turn))
        throw new Error(`${wire}: the streamed text differs from the Turn's`);
      return;
    }
    const call = turn.blocks.find((block) => block.kind === "tool_call");
    assertToolArguments(wire, workload.chunks, call?.payload.args);
    if (wire !== "ollama" && argumentDeltas === 0)
      throw new Error(`${wire}: no tool-call-arguments-delta event`);
  };
  const warmUp = Math.max(1, Math.ceil(Number(flag("steady", "20000")) / units));
  for (let round = 0; round < warmUp; round++) check(await request(core, engine, input, mode));
  // Measured: each request on its own (what it returned is checked afterwards), at least 5 and about twice the
  // warm-up's units; the cheapest is the least disturbed by other processes, the mean the steady cost.
  const measured = Math.max(5, 2 * warmUp);
  const results: Awaited<ReturnType<typeof request>>[] = [];
  const costs: number[] = [];
  for (let round = 0; round < measured; round++) {
    const before = process.cpuUsage();
    results.push(await request(core, engine, input, mode));
    const used = process.cpuUsage(before);
    costs.push((used.user + used.system) / units);
  }
  for (const result of results) check(result);
  const mean = costs.reduce((sum, cost) => sum + cost, 0) / costs.length;
  process.stdout.write(`${JSON.stringify({ minUsPerUnit: Math.min(...costs), meanUsPerUnit: mean })}\n`);
}

if (import.meta.main) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
