// A tour of the core API: build a Turn, run an engine with a sink, read the result.
// Run it: npm run build && npx node examples/hello.ts
import {
  CollectingSink,
  KeyInferenceResult,
  newSystemTextBlock,
  newTurn,
  newUserTextBlock,
  RunContext,
  TextPrinter,
  turnToYaml,
} from "geppetto";
import { ScriptedEngine, script } from "geppetto/testing";

// 1. A Turn is an ordered list of Blocks.
const turn = newTurn([newSystemTextBlock("You are terse."), newUserTextBlock("What is geppetto?")]);

// 2. An engine runs one inference. The ScriptedEngine replays a script; real providers plug in the same way.
const engine = new ScriptedEngine([...script.text("A framework for LLM applications."), script.stop("stop")]);

// 3. Events go to the sinks carried by an explicit, immutable run context.
const collector = new CollectingSink();
const ctx = RunContext.background().withSinks(new TextPrinter(process.stdout), collector);

// 4. Engines return a new Turn (the input is never mutated), with a normalized result in its metadata.
const out = await engine.runInference(turn, ctx);
const result = KeyInferenceResult.get(out);
console.log(
  `finish: ${result?.finishClass}, events: ${collector.events.map((event) => event.type).join(" ")}`,
);
console.log(turnToYaml(out).split("\n").slice(0, 3).join("\n"));
