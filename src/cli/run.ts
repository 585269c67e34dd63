/**
 * `geppetto run [prompt…]`: one inference on a prompt, printed as text, JSON, YAML or a JSON-lines event stream.
 */

import { GeppettoError } from "../engine/errors.ts";
import { encodeEvent } from "../events/codec.ts";
import { RunContext } from "../events/context.ts";
import { TextPrinter } from "../events/printers.ts";
import { newSystemTextBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { turnToDocument, turnToJson, turnToYaml } from "../turns/serialization.ts";
import type { Block, Turn } from "../turns/types.ts";
import { selectEngine } from "./engine-selection.ts";
import type { CliIO } from "./main.ts";
import { oneOf, parseCommandLine, UsageError } from "./usage.ts";

const OUTPUTS = ["text", "json", "yaml", "jsonl"] as const;
type OutputFormat = (typeof OUTPUTS)[number];

export const HELP = `Usage: geppetto run [options] [prompt...]

Runs one inference on the prompt (from the arguments, or from standard input when there are none) and prints
the answer. With no provider configured it runs on the embedded default and says so on stderr.

Options:
  --system TEXT        A system prompt
  --output FORMAT      text (stream the answer; default), json or yaml (print the final Turn),
                       jsonl (one event per line as it happens, then the final Turn as the last line)
  -h, --help           Show this help

Exit codes: 0 done, 1 failed (what was produced is still printed), 2 bad usage, 130 cancelled (Ctrl-C).

Examples:
  geppetto run "Hello"
  geppetto run --system "Answer in French" "How are you?"
  echo "Hello" | geppetto run --output json
  geppetto run --output jsonl "Hello" | jq -c 'select(.type == "partial") | .delta'
`;

const OPTIONS = {
  system: { type: "string" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

async function readStdin(stdin: CliIO["stdin"]): Promise<string> {
  let text = "";
  stdin.setEncoding("utf8");
  for await (const chunk of stdin) text += chunk;
  return text;
}

function printTurn(io: CliIO, format: OutputFormat, turn: Turn): void {
  if (format === "json") io.stdout.write(`${turnToJson(turn)}\n`);
  else if (format === "yaml") io.stdout.write(turnToYaml(turn));
  else if (format === "jsonl") io.stdout.write(`${JSON.stringify(turnToDocument(turn))}\n`);
}

/** Runs the command. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const format = oneOf("output", values.output, OUTPUTS, "text");
  let prompt = positionals.join(" ");
  if (prompt.trim() === "" && !io.stdin.isTTY) prompt = await readStdin(io.stdin);
  if (prompt.trim() === "") throw new UsageError("no prompt: give one as arguments or on standard input");

  const blocks: Block[] = [];
  if (values.system) blocks.push(newSystemTextBlock(values.system));
  blocks.push(newUserTextBlock(prompt.trim()));
  const input = newTurn(blocks);

  const selected = await selectEngine(values, io);
  if (selected.isDefault) io.stderr.write(`geppetto: ${selected.description}\n`);

  const controller = new AbortController();
  let interrupts = 0;
  const stopListening = io.onInterrupt(() => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort(new Error("cancelled by the user (Ctrl-C)"));
  });

  let ctx = RunContext.background().withSignal(controller.signal);
  if (format === "text") ctx = ctx.withSinks(new TextPrinter(io.stdout));
  if (format === "jsonl")
    ctx = ctx.withSinks({ publish: (event) => void io.stdout.write(`${encodeEvent(event)}\n`) });

  try {
    const output = await selected.engine.runInference(input, ctx);
    printTurn(io, format, output);
    return controller.signal.aborted ? 130 : 0;
  } catch (error) {
    if (GeppettoError.is(error) && error.turn) printTurn(io, format, error.turn);
    io.stderr.write(`geppetto run: ${error instanceof Error ? error.message : String(error)}\n`);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    stopListening();
    await selected.close();
  }
}
