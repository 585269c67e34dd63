/**
 * Child process for the kill -9 tests: streams answers (with tool calls) through a Session whose persister is a
 * SQLite store, forever, announcing each committed save on stdout as `saved <turnId> <phase>`.
 * Run with: node --experimental-transform-types crash-child.ts DB_PATH
 *
 * With `stream` after the path: answers of small text deltas, 2 ms apart, no tools; each delta is announced once
 * the output holds it as `delta <turnId> <epoch ms> <text>` (stdout to a pipe is synchronous on Linux, so what
 * the parent reads is what had streamed when the process died).
 */
import { z } from "zod";
import { sinkFrom } from "../../events/context.ts";
import { ScriptedEngine, type ScriptStep, script } from "../../testing/scripted-engine.ts";
import { defineTool } from "../../tools/define-tool.ts";
import { ToolRegistry } from "../../tools/registry.ts";
import type { Turn } from "../../turns/types.ts";
import { EngineBuilder } from "../engine-builder.ts";
import { Session } from "../session.ts";
import { openSqliteTurnStore } from "../sqlite-turn-store.ts";

const path = process.argv[2];
if (!path) throw new Error("usage: crash-child.ts DB_PATH [stream]");
const store = await openSqliteTurnStore(path);
if (process.argv[3] === "stream") await streamForever();
const echo = defineTool({ name: "echo", description: "echoes", input: z.object({ text: z.string() }), execute: ({ text }) => text });
const big = "x".repeat(20_000);

function answer(turn: Turn): ScriptStep[] {
  const toolUses = turn.blocks.filter((block) => block.kind === "tool_use").length;
  const steps: ScriptStep[] = [];
  for (let index = 0; index < 20; index++) steps.push({ type: "text", text: `${big.slice(0, 1_000)} ` }, script.pause(1));
  if (toolUses % 3 !== 2) steps.push(script.toolCall("echo", { text: big }));
  return steps;
}

async function streamForever(): Promise<never> {
  const deltas: ScriptStep[] = [];
  for (let index = 0; index < 600; index++) deltas.push({ type: "text", text: `w${index} ` }, script.pause(2));
  const builder = new EngineBuilder()
    .withBase(new ScriptedEngine(deltas, { repeatLast: true }))
    .withPersister(store)
    .withSinks(
      sinkFrom((event) => {
        if (event.type === "partial")
          process.stdout.write(`delta ${event.meta.turnId} ${Date.now()} ${event.delta}\n`);
      }),
    );
  const session = new Session({ id: "crash-session", runner: builder });
  for (let prompt = 0; ; prompt++) {
    session.appendNewTurnFromUserPrompt(`prompt ${prompt}`);
    await session.startInference().wait();
  }
}

const builder = new EngineBuilder()
  .withBase(new ScriptedEngine(answer, { repeatLast: true }))
  .withToolRegistry(new ToolRegistry([echo]))
  .withLoopConfig({ maxIterations: 4 })
  .withPersister(store)
  // runs after the persister's save has committed
  .withSnapshotHook((turn, phase) => void process.stdout.write(`saved ${turn.id} ${phase}\n`));
const session = new Session({ id: "crash-session", runner: builder });
for (let prompt = 0; ; prompt++) {
  session.appendNewTurnFromUserPrompt(`prompt ${prompt}`);
  await session.startInference().wait();
}
