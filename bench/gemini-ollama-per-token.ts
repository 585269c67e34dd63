/**
 * Per-token CPU of the Gemini and Ollama engines (issue 4): for each, (a) the floor — fetch + a minimal
 * SSE/NDJSON split + JSON.parse + text concatenation — and (b) `runInference` with a sink attached, on a
 * 10,000-token stream from the local provider server running in a child process. Median of 5 rounds after a
 * warm-up, printed with the ratio (budget: engine ≤ 1.5× floor). Also Gemini tool calls whose arguments come as
 * `partialArgs` in 500, 2000 and 8000 pieces (per piece): one long string (`gemini args`), and many keys, a new
 * path every other piece (`gemini keys`).
 *
 * Runs the TypeScript sources directly:   npx node --experimental-transform-types bench/gemini-ollama-per-token.ts
 * Flags: --tokens 10000 --rounds 5 --pieces 500,2000,8000 --only args (skip the text scenarios)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const SRC = new URL("../src/", import.meta.url);

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The child: serves `text-N` (N tokens) and `tool-N` (one call with arguments in N pieces), by model name. */
async function serve(): Promise<void> {
  const testing = await import(new URL("testing/provider-server/index.ts", SRC).href);
  const handler = (request: { path: string; body: { model?: string } }) => {
    const model = request.body?.model ?? /models\/([^:]+):/.exec(request.path)?.[1] ?? "text-10";
    const [kind, size] = model.split("-");
    const count = Number(size);
    if (kind === "keys") {
      // One call whose arguments have count/2 keys, each string streamed in 2 pieces: a new path every other piece.
      const args = Object.fromEntries(
        Array.from({ length: count / 2 }, (_, index) => [`k${index}`, "abcdefgh"]),
      );
      return { script: { toolCalls: [{ name: "write", arguments: args, chunks: 2 }] } };
    }
    if (kind === "tool") {
      return {
        script: {
          toolCalls: [{ name: "write", arguments: { content: "x".repeat(count * 8) }, chunks: count }],
        },
      };
    }
    return { script: testing.longText(count) };
  };
  const server = await testing.startProviderServer({ response: { handler } });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.on("SIGTERM", () => {
    void server.close().then(() => process.exit(0));
  });
}

function startServerProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--serve"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf("\n");
      if (newline >= 0)
        resolve({ child, url: (JSON.parse(buffer.slice(0, newline)) as { url: string }).url });
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** The fields the floors read from a parsed chunk (Gemini or Ollama). */
interface Parsed {
  candidates?: {
    content?: {
      parts?: {
        text?: string;
        functionCall?: { partialArgs?: { stringValue?: string; numberValue?: number }[] };
      }[];
    };
  }[];
  message?: { content?: string };
}

/** Reads a body, splitting on `separator`, parsing each piece after `prefix`; returns the pieces with text. */
async function readSplit(
  response: Response,
  separator: string,
  prefix: number,
  pick: (value: Parsed) => string | undefined,
): Promise<number> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let text = "";
  let count = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf(separator);
    while (boundary !== -1) {
      const piece = buffer.slice(prefix, boundary);
      buffer = buffer.slice(boundary + separator.length);
      const content = pick(JSON.parse(piece));
      if (content) {
        text += content;
        count++;
      }
      boundary = buffer.indexOf(separator);
    }
  }
  if (text.length < count) throw new Error("floor: text lost");
  return count;
}

function geminiPiece(chunk: Parsed): string | undefined {
  const part = chunk.candidates?.[0]?.content?.parts?.[0];
  if (!part) return undefined;
  if (part.text) return part.text;
  const partial = part.functionCall?.partialArgs?.[0];
  return partial ? String(partial.stringValue ?? partial.numberValue ?? "") : undefined;
}

async function geminiFloor(url: string, model: string): Promise<number> {
  const response = await fetch(`${url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": "bench" },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "go" }] }] }),
  });
  return readSplit(response, "\r\n\r\n", 6, geminiPiece);
}

async function ollamaFloor(url: string, model: string): Promise<number> {
  const response = await fetch(`${url}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "go" }] }),
  });
  return readSplit(response, "\n", 0, (chunk) => chunk.message?.content || undefined);
}

async function engineRun(provider: "gemini" | "ollama", url: string, model: string): Promise<number> {
  const { RunContext } = await import(new URL("events/context.ts", SRC).href);
  const { newTurn, newUserTextBlock } = await import(new URL("turns/builders.ts", SRC).href);
  const engine =
    provider === "gemini"
      ? (await import(new URL("providers/gemini/index.ts", SRC).href)).createGeminiEngine({
          model,
          apiKey: "bench",
          baseURL: `${url}/v1beta`,
        })
      : (await import(new URL("providers/ollama/index.ts", SRC).href)).createOllamaEngine({
          model,
          baseURL: url,
        });
  let count = 0;
  const sink = {
    publish(event: { type: string }) {
      if (event.type === "partial" || event.type === "tool-call-arguments-delta") count++;
    },
  };
  await engine.runInference(newTurn([newUserTextBlock("go")]), RunContext.background().withSinks(sink));
  return count;
}

async function cpuPerPiece(run: () => Promise<number>, expected: number): Promise<number> {
  const before = process.cpuUsage();
  const count = await run();
  const used = process.cpuUsage(before);
  if (Math.abs(count - expected) > 2) throw new Error(`expected ${expected} pieces, got ${count}`);
  return (used.user + used.system) / count;
}

async function scenario(
  label: string,
  floor: () => Promise<number>,
  engine: () => Promise<number>,
  size: number,
  rounds: number,
): Promise<string> {
  await floor();
  await engine();
  const floors: number[] = [];
  const engines: number[] = [];
  for (let round = 0; round < rounds; round++) {
    floors.push(await cpuPerPiece(floor, size));
    engines.push(await cpuPerPiece(engine, size));
  }
  const floorMedian = median(floors);
  const engineMedian = median(engines);
  return `${label.padEnd(18)} floor ${floorMedian.toFixed(2).padStart(6)} µs  engine ${engineMedian.toFixed(2).padStart(6)} µs  ratio ${(engineMedian / floorMedian).toFixed(2)}×`;
}

async function main(): Promise<void> {
  if (process.argv.includes("--serve")) return serve();
  const tokens = flag("tokens", 10_000);
  const rounds = flag("rounds", 5);
  const { child, url } = await startServerProcess();
  try {
    console.log(`CPU per streamed piece, median of ${rounds} (budget: engine ≤ 1.5× floor)`);
    const text = `text-${tokens}`;
    const onlyArgs = process.argv.includes("--only") && process.argv.includes("args");
    if (!onlyArgs)
      console.log(
        await scenario(
          "gemini text",
          () => geminiFloor(url, text),
          () => engineRun("gemini", url, text),
          tokens,
          rounds,
        ),
      );
    if (!onlyArgs)
      console.log(
        await scenario(
          "ollama text",
          () => ollamaFloor(url, text),
          () => engineRun("ollama", url, text),
          tokens,
          rounds,
        ),
      );
    const piecesIndex = process.argv.indexOf("--pieces");
    const sizes =
      piecesIndex >= 0 ? process.argv[piecesIndex + 1]!.split(",").map(Number) : [500, 2000, 8000];
    for (const pieces of sizes) {
      const tool = `tool-${pieces}`;
      const label = `gemini args ${pieces}`;
      console.log(
        await scenario(
          label,
          () => geminiFloor(url, tool),
          () => engineRun("gemini", url, tool),
          pieces,
          rounds,
        ),
      );
    }
    for (const pieces of sizes) {
      const keys = `keys-${pieces}`;
      console.log(
        await scenario(
          `gemini keys ${pieces}`,
          () => geminiFloor(url, keys),
          () => engineRun("gemini", url, keys),
          pieces,
          rounds,
        ),
      );
    }
  } finally {
    child.kill("SIGTERM");
  }
}

await main();
