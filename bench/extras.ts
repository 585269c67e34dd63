/**
 * geppetto-only measurements in a fresh process, on the ScriptedEngine (no network):
 * - `toolloop`: the tool loop's overhead per iteration — `runToolLoop` against the same inferences and tool
 *   calls driven by a hand-written loop (engine → execute → append the tool_use block → engine …).
 * - `sessions`: heap and RSS of N idle sessions, each holding one finished exchange (run with --expose-gc).
 * Prints one JSON line. Imports geppetto from dist/.
 *
 *   npx node --expose-gc bench/extras.ts sessions 10000
 *   npx node bench/extras.ts toolloop 20
 */
import { performance } from "node:perf_hooks";
import { distModule } from "./clients/geppetto.ts";

// biome-ignore lint/suspicious/noExplicitAny: dist modules are loaded dynamically, typed at the call sites.
type Module = any;

async function load(path: string): Promise<Module> {
  return import(distModule(path).href);
}

function cpuUs(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

async function toolLoop(iterations: number): Promise<object> {
  const core = await load("index.js");
  const testing = await load("testing/index.js");
  const toolloop = await load("toolloop/index.js");
  const tools = await load("tools/index.js");
  const echo = tools.defineTool({
    name: "echo",
    description: "returns its input",
    input: { type: "object", properties: { n: { type: "number" } }, required: ["n"] },
    execute: (args: { n: number }) => ({ n: args.n }),
  });
  const registry = new tools.ToolRegistry([echo]);
  const respond = (turn: { blocks: { kind: string }[] }) => {
    const done = turn.blocks.filter((block) => block.kind === "tool_use").length;
    return done < iterations - 1
      ? [testing.script.toolCall("echo", { n: done }), testing.script.stop("tool_calls")]
      : [...testing.script.text("all done"), testing.script.stop("stop")];
  };
  const input = core.newTurn([core.newUserTextBlock("go")]);
  const ctx = core.RunContext.background().withSinks({ publish() {} });
  const byLoop = async () => {
    const engine = new testing.ScriptedEngine(respond, { repeatLast: true });
    const result = await toolloop.runToolLoop(input, ctx, {
      engine,
      registry,
      loop: { maxIterations: iterations },
    });
    if (core.assistantText(result.turn) !== "all done") throw new Error("toolloop: the loop did not finish");
  };
  const byHand = async () => {
    const engine = new testing.ScriptedEngine(respond, { repeatLast: true });
    let turn = input;
    for (;;) {
      turn = await engine.runInference(turn, ctx);
      const calls = core.pendingToolCalls(turn);
      if (calls.length === 0) break;
      for (const call of calls) {
        const parsed = await echo.validateInput(call.payload.args);
        const result = await echo.execute(parsed.value, { signal: ctx.signal });
        turn = core.appendBlock(turn, core.newToolUseBlock(call.payload.id, result, { name: "echo" }));
      }
    }
    if (core.assistantText(turn) !== "all done") throw new Error("toolloop: the hand loop did not finish");
  };
  const rounds = 30;
  const time = async (run: () => Promise<void>) => {
    for (let index = 0; index < 5; index++) await run();
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let index = 0; index < rounds; index++) await run();
    return {
      cpuUs: cpuUs(cpu) / (rounds * iterations),
      wallUs: ((performance.now() - start) * 1000) / (rounds * iterations),
    };
  };
  const hand = await time(byHand);
  const loop = await time(byLoop);
  return {
    iterations,
    loopCpuUsPerIteration: loop.cpuUs,
    handCpuUsPerIteration: hand.cpuUs,
    overheadCpuUsPerIteration: loop.cpuUs - hand.cpuUs,
    loopWallUsPerIteration: loop.wallUs,
    handWallUsPerIteration: hand.wallUs,
  };
}

async function sessions(count: number): Promise<object> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("sessions: run with --expose-gc");
  const testing = await load("testing/index.js");
  const session = await load("session/index.js");
  const engine = new testing.ScriptedEngine(
    [...testing.script.text("I am fine, thank you. How can I help?"), testing.script.stop("stop")],
    { repeatLast: true },
  );
  const runner = new session.EngineBuilder({ base: engine });
  // Warm up the code paths, then measure.
  const warm = new session.Session({ runner });
  warm.appendNewTurnFromUserPrompt("hello, how are you?");
  await warm.startInference().wait();
  gc();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const kept: unknown[] = [];
  for (let index = 0; index < count; index++) {
    const one = new session.Session({ runner });
    one.appendNewTurnFromUserPrompt("hello, how are you?");
    await one.startInference().wait();
    kept.push(one);
  }
  gc();
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const rssAfter = process.memoryUsage().rss;
  if (kept.length !== count) throw new Error("sessions: lost sessions");
  return {
    count,
    heapBytesPerSession: (heapAfter - heapBefore) / count,
    heapMB: (heapAfter - heapBefore) / 2 ** 20,
    rssMB: (rssAfter - rssBefore) / 2 ** 20,
  };
}

async function main(): Promise<void> {
  const [scenario, size] = process.argv.slice(2);
  const result =
    scenario === "toolloop"
      ? await toolLoop(Number(size ?? 20))
      : scenario === "sessions"
        ? await sessions(Number(size ?? 10_000))
        : undefined;
  if (result === undefined) throw new Error(`extras: unknown scenario "${scenario}" (toolloop | sessions)`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
