/**
 * Request building against the conversation's length: the CPU one engine spends turning a Turn into the bytes it
 * sends (its `buildRequest`, then the body's bytes the way the transport makes them), at 2,000 blocks against
 * 20 blocks, for each wire. The turn grows by a prompt and an answer between requests, as a chat does, so a
 * wire that caches the serialized form of frozen blocks pays for the new blocks only. Reported per wire: µs per
 * request at 20 and at 2,000 blocks, and their ratio; the bytes sent grow with the conversation on every wire
 * (each request carries it all), so a ratio near 1 is not expected, only one far below the blocks' 100×.
 *
 *   npm run build && npx node bench/request-build.ts [--json]
 */
import { pathToFileURL } from "node:url";
import { median } from "./stats.ts";

const dist = (path: string) =>
  import(pathToFileURL(new URL(`../dist/${path}`, import.meta.url).pathname).href);
const core = await dist("index.js");
const events = await dist("events/index.js").catch(() => core);
const transport = await dist("providers/transport/index.js");
const RunContext = core.RunContext ?? events.RunContext;

interface Wire {
  name: string;
  /** What the engine does before sending: the request body (or `{ body }`) for a Turn. */
  build(turn: unknown, ctx: unknown): unknown;
}

const options = { model: "bench-model", apiKey: "bench-key", baseURL: "http://127.0.0.1:9/v1" };
const openai = await dist("providers/openai/index.js");
type Builds = { buildRequest(turn: unknown, ctx: unknown): unknown };
const viaEngine = (name: string, engine: Builds): Wire => ({
  name,
  build: (turn, ctx) => engine.buildRequest(turn, ctx),
});
const wires: Wire[] = [
  viaEngine("OpenAI Chat", openai.createOpenAIChatEngine(options)),
  viaEngine(
    "Anthropic Messages",
    (await dist("providers/anthropic/index.js")).createClaudeEngine({ ...options, maxTokens: 1024 }),
  ),
  viaEngine(
    "OpenAI Responses",
    (await dist("providers/openai-responses/index.js")).createOpenAIResponsesEngine(options),
  ),
  viaEngine("Gemini", (await dist("providers/gemini/index.js")).createGeminiEngine(options)),
  viaEngine("Ollama", (await dist("providers/ollama/index.js")).createOllamaEngine(options)),
];

const PROMPT = "Wie lange dauert die Überfahrt von Kiel nach Oslo, und welche Kabine empfehlen Sie? ";
const ANSWER = "Die Fähre braucht etwa zwanzig Stunden; eine Außenkabine mit Fenster ist bequem. ".repeat(3);

function conversation(pairs: number): unknown[] {
  const blocks: unknown[] = [];
  for (let pair = 0; pair < pairs; pair++)
    blocks.push(core.newUserTextBlock(`${PROMPT}${pair}`), core.newAssistantTextBlock(`${ANSWER}${pair}`));
  return blocks.map((block) => core.deepFreeze(block));
}

/** The body's bytes, the way the transport makes them (spliced pieces, or JSON). */
function bytesOf(request: unknown): number {
  const body = (request as { body?: unknown }).body ?? request;
  return transport.hasJsonPieces(body)
    ? transport.encodeJsonBody(body).length
    : Buffer.byteLength(JSON.stringify(body));
}

/** µs of CPU per request, for a turn of `pairs` prompt/answer pairs that grows by one pair per request. */
function measure(wire: Wire, pairs: number): { us: number; bytes: number } {
  const ctx = RunContext.background();
  let blocks = conversation(pairs);
  const samples: number[] = [];
  let bytes = 0;
  for (let round = 0; round < 40; round++) {
    const next = conversation(1);
    blocks = [...blocks, ...next];
    const turn = { id: `t${round}`, blocks, metadata: {}, data: {} };
    const before = process.cpuUsage();
    bytes = bytesOf(wire.build(turn, ctx));
    const used = process.cpuUsage(before);
    if (round >= 5) samples.push(used.user + used.system);
  }
  return { us: median(samples), bytes };
}

const rows = wires.map((wire) => {
  const small = measure(wire, 10);
  const large = measure(wire, 1000);
  return {
    wire: wire.name,
    smallUs: small.us,
    largeUs: large.us,
    ratio: large.us / small.us,
    largeBytes: large.bytes,
  };
});
if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
else {
  console.log("Request build (buildRequest + body bytes), CPU per request, median of 35 growing requests");
  console.log("| wire | µs at 20 blocks | µs at 2,000 blocks | ratio | body bytes at 2,000 |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const row of rows)
    console.log(
      `| ${row.wire} | ${row.smallUs.toFixed(0)} | ${row.largeUs.toFixed(0)} | ${row.ratio.toFixed(1)} | ${row.largeBytes} |`,
    );
}
