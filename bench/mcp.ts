/**
 * MCP in a fresh process (geppetto from dist/, the test MCP server of src/mcp/__fixtures__ over stdio):
 * - `directUs`, `mcpUs`: median wall time of one tool call through `executeToolCalls` (validation, events,
 *   time limit), for a local function tool and for the same echo on the MCP server; `overheadUs` is their
 *   difference (what MCP adds per call: JSON-RPC over the pipe, the server's handling, result conversion) and
 *   `ratio` their quotient.
 * - `firstInferenceMs`, `baselineInferenceMs`: the first tool-loop inference (ScriptedEngine, no MCP tool needed)
 *   started right after `McpToolset.start()` (timed from before it) on a server that takes `slowStartMs` to come up, against the same
 *   inference with no MCP server at all; `connectMs` is when that server's tools were listed. The connect runs in
 *   the background, so the first inference does not wait for it.
 * Prints one JSON line.
 *
 *   npm run build && npx node bench/mcp.ts [calls=300]
 */

import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { distModule } from "./clients/geppetto.ts";

// biome-ignore lint/suspicious/noExplicitAny: dist modules are loaded dynamically, typed at the call sites.
type Module = any;

const SERVER = fileURLToPath(new URL("../src/mcp/__fixtures__/test-server.ts", import.meta.url));
const SLOW_START_MS = 500;

async function load(path: string): Promise<Module> {
  return import(distModule(path).href);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const core = await load("index.js");
const tools = await load("tools/index.js");
const toolloop = await load("toolloop/index.js");
const testing = await load("testing/index.js");
const mcp = await load("mcp/index.js");

/** Median µs per call, calls alternating between the two registries so both see the same machine state. */
async function perCall(
  calls: number,
  direct: Module,
  remote: Module,
): Promise<{ direct: number; remote: number }> {
  const ctx = core.RunContext.background();
  const time = async (registry: Module, name: string, index: number) => {
    const started = performance.now();
    const { results } = await tools.executeToolCalls(
      [{ id: `c${index}`, name, args: { text: `call ${index}` } }],
      ctx,
      { registry },
    );
    if (results[0].status !== "ok") throw new Error(`${name}: ${results[0].error}`);
    return (performance.now() - started) * 1000;
  };
  for (let index = 0; index < 30; index++) {
    await time(direct, "echo", index);
    await time(remote, "test_echo", index);
  }
  const directTimes: number[] = [];
  const remoteTimes: number[] = [];
  for (let index = 0; index < calls; index++) {
    directTimes.push(await time(direct, "echo", index));
    remoteTimes.push(await time(remote, "test_echo", index));
  }
  return { direct: median(directTimes), remote: median(remoteTimes) };
}

async function firstInference(withServer: boolean): Promise<{ inferenceMs: number; toolset?: Module }> {
  const engine = new testing.ScriptedEngine([testing.script.text("no tool needed")]);
  const registry = new tools.ToolRegistry();
  let toolset: Module;
  const started = performance.now(); // includes start(): spawning the server happens there
  if (withServer) {
    const slow = `setTimeout(() => import(${JSON.stringify(SERVER)}), ${SLOW_START_MS})`;
    // process.argv[1] must be the server file for it to serve: pass it as the script's argument.
    toolset = new mcp.McpToolset(
      {
        slow: {
          command: process.execPath,
          args: ["-e", `process.argv[1] = ${JSON.stringify(SERVER)}; ${slow}`],
        },
      },
      { registry },
    );
    toolset.start();
  }
  const input = core.newTurn([core.newUserTextBlock("hello")]);
  await toolloop.runToolLoop(input, core.RunContext.background(), { engine, registry });
  return { inferenceMs: performance.now() - started, toolset };
}

const calls = Number(process.argv[2] ?? 300);
const echo = tools.defineTool({
  name: "echo",
  description: "Echoes the text",
  input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  execute: ({ text }: { text: string }) => tools.toolContent([{ type: "text", text }]),
});
const direct = new tools.ToolRegistry([echo]);
const toolset = new mcp.McpToolset({ test: { command: process.execPath, args: [SERVER] } });
await toolset.ready();
const { direct: directUs, remote: mcpUs } = await perCall(calls, direct, toolset.registry);
await toolset.close();

await firstInference(false); // warm-up: both measured inferences run warm
const baseline = await firstInference(false);
const connectStarted = performance.now();
const first = await firstInference(true);
await first.toolset.ready();
const connectMs = performance.now() - connectStarted;
const listed = first.toolset.tools().length;
await first.toolset.close();
if (listed === 0) throw new Error("the slow server listed no tools");

process.stdout.write(
  `${JSON.stringify({
    directUs,
    mcpUs,
    overheadUs: mcpUs - directUs,
    ratio: mcpUs / directUs,
    baselineInferenceMs: baseline.inferenceMs,
    firstInferenceMs: first.inferenceMs,
    connectMs,
    slowStartMs: SLOW_START_MS,
  })}\n`,
);
