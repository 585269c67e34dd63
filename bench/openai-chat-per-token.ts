/**
 * First per-token measurement of the OpenAI Chat engine (issue 3): CPU µs per token of
 * (a) the floor: fetch + a minimal SSE split + JSON.parse, and (b) `createOpenAIChatEngine(...).runInference`
 * with a sink attached, on a 10,000-token stream from the local provider server running in a child process.
 * Median of 5 rounds (after a warm-up), printed with the ratio; then the import time of the core and the
 * OpenAI engine from dist/ in a fresh process (median of 5).
 *
 * Also tool calls whose arguments arrive in 500, 2000 and 8000 chunks (per chunk).
 *
 * Build first (`npm run build`), then:   npx node bench/openai-chat-per-token.ts [--tokens 10000] [--rounds 5] [--text-only]
 * Uses only erasable TypeScript syntax (Node strips the types) and imports the built package from dist/.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const DIST = new URL("../dist/", import.meta.url);

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The child: serves `text-N` (N tokens) and `tool-N` (a tool call whose arguments come in N chunks) by model. */
async function serve(): Promise<void> {
  const testing = await import(new URL("testing/index.js", DIST).href);
  const handler = (request: { body: { model: string } }) => {
    const [kind, size] = request.body.model.split("-");
    return {
      script: kind === "tool" ? testing.chunkedToolCall(Number(size)) : testing.longText(Number(size)),
    };
  };
  const server = await testing.startProviderServer({ response: { handler } });
  process.stdout.write(`${JSON.stringify({ url: server.baseURL("openai-chat") })}\n`);
  process.on("SIGTERM", () => {
    void server.close().then(() => process.exit(0));
  });
}

function startServerProcess(): Promise<{ child: ChildProcess; baseURL: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf("\n");
      if (newline >= 0)
        resolve({ child, baseURL: (JSON.parse(buffer.slice(0, newline)) as { url: string }).url });
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** The floor: fetch, split on blank lines, strip `data: `, JSON.parse, concatenate the content or arguments. */
async function floor(baseURL: string, model: string): Promise<number> {
  const response = await fetch(`${baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer bench" },
    body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "go" }] }),
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let text = "";
  let count = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf("\n\n");
    while (boundary !== -1) {
      const data = buffer.slice(6, boundary);
      buffer = buffer.slice(boundary + 2);
      if (data !== "[DONE]") {
        const delta = JSON.parse(data).choices[0]?.delta;
        const content = delta?.content || delta?.tool_calls?.[0]?.function?.arguments;
        if (content) {
          text += content;
          count++;
        }
      }
      boundary = buffer.indexOf("\n\n");
    }
  }
  if (text.length < count) throw new Error("floor: text lost");
  return count;
}

async function engineRun(baseURL: string, model: string): Promise<number> {
  const core = await import(new URL("index.js", DIST).href);
  const openai = await import(new URL("providers/openai/index.js", DIST).href);
  const engine = openai.createOpenAIChatEngine({ model, apiKey: "bench", baseURL });
  let count = 0;
  const sink = {
    publish(event: { type: string }) {
      if (event.type === "partial" || event.type === "tool-call-arguments-delta") count++;
    },
  };
  const turn = core.newTurn([core.newUserTextBlock("go")]);
  await engine.runInference(turn, core.RunContext.background().withSinks(sink));
  return count;
}

async function cpuPerToken(run: () => Promise<number>, tokens: number): Promise<number> {
  const before = process.cpuUsage();
  const count = await run();
  const used = process.cpuUsage(before);
  if (count !== tokens) throw new Error(`expected ${tokens} tokens, got ${count}`);
  return (used.user + used.system) / tokens;
}

function importMs(): number {
  const script = `const t=performance.now();await import(${JSON.stringify(new URL("index.js", DIST).href)});await import(${JSON.stringify(new URL("providers/openai/index.js", DIST).href)});console.log(performance.now()-t)`;
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", script]).toString().trim());
}

async function scenario(baseURL: string, model: string, size: number, rounds: number): Promise<string> {
  await floor(baseURL, model);
  await engineRun(baseURL, model);
  const floors: number[] = [];
  const engines: number[] = [];
  for (let round = 0; round < rounds; round++) {
    floors.push(await cpuPerToken(() => floor(baseURL, model), size));
    engines.push(await cpuPerToken(() => engineRun(baseURL, model), size));
  }
  const floorMedian = median(floors);
  const engineMedian = median(engines);
  return `${model.padEnd(11)} floor ${floorMedian.toFixed(2).padStart(6)} µs  engine ${engineMedian.toFixed(2).padStart(6)} µs  ratio ${(engineMedian / floorMedian).toFixed(2)}×  (floor runs ${floors.map((v) => v.toFixed(1)).join(", ")}; engine runs ${engines.map((v) => v.toFixed(1)).join(", ")})`;
}

async function main(): Promise<void> {
  if (process.argv.includes("--serve")) return serve();
  const tokens = flag("tokens", 10_000);
  const rounds = flag("rounds", 5);
  const { child, baseURL } = await startServerProcess();
  try {
    console.log(`CPU per streamed piece, median of ${rounds} (budget: engine ≤ 1.5× floor)`);
    console.log(await scenario(baseURL, `text-${tokens}`, tokens, rounds));
    if (!process.argv.includes("--text-only")) {
      for (const chunks of [500, 2000, 8000])
        console.log(await scenario(baseURL, `tool-${chunks}`, chunks, rounds));
    }
    const imports = Array.from({ length: 5 }, importMs);
    console.log(
      `import core + openai engine from dist: ${median(imports).toFixed(1)} ms (median of 5, budget 40 ms)`,
    );
  } finally {
    child.kill("SIGTERM");
  }
}

await main();
