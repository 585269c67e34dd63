/**
 * `geppetto run [prompt…]`: one inference on a prompt, printed as text, JSON, YAML or a JSON-lines event stream.
 */

import { fstatSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { runInferenceWithResult } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import { KeyStructuredOutputConfig } from "../engine/structured-output.ts";
import { RunContext } from "../events/context.ts";
import { TextPrinter } from "../events/printers.ts";
import { settingsFlagsHelp, settingsParseOptions } from "../settings/flags.ts";
import { newSystemTextBlock, newTurn, newUserMultimodalBlock, newUserTextBlock } from "../turns/builders.ts";
import { turnToDocument, turnToJson, turnToYaml } from "../turns/serialization.ts";
import type { Block, Turn } from "../turns/types.ts";
import { loadAttachments } from "./attachments.ts";
import { loadCommandSettings, type SelectedEngine, selectEngine } from "./engine-selection.ts";
import { loadImage } from "./images.ts";
import { startRecording } from "./log-flags.ts";
import type { CliIO } from "./main.ts";
import { MCP_FLAG_HELP, mcpReady, startMcpServers } from "./mcp.ts";
import { applyModelFlag, MODEL_FLAG_HELP, MODEL_OPTION } from "./model-flag.ts";
import { jsonlPrinter, roundDurations, statusPrinter, toolTracePrinter } from "./run-output.ts";
import { runWithSchema } from "./run-schema.ts";
import { openRunSession } from "./run-session.ts";
import { structuredOutputOfSettings } from "./run-structured.ts";
import { checkToolSet, engineWithTools, toolSetRegistry } from "./run-tools.ts";
import { type ToolApproval, toolApproval } from "./tool-approval.ts";
import { oneOf, parseCommandLine, UsageError } from "./usage.ts";

const OUTPUTS = ["text", "json", "yaml", "jsonl"] as const;
type OutputFormat = (typeof OUTPUTS)[number];

export const HELP = () => `Usage: geppetto run [options] [prompt...]

Runs one inference on the prompt and prints the answer. The prompt comes from the arguments, or from standard
input when there are none; with both, the piped text follows the prompt as a fenced block
(\`cat code.py | geppetto run "explain this"\`). With no provider configured it runs on geppetto's local provider server and says so on stderr.
Settings come from, lowest first: defaults, $XDG_CONFIG_HOME/geppetto/config.yaml, ./.geppetto.yaml, the profile
(profiles.yaml), the environment (GEPPETTO_*, OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, OLLAMA_HOST),
then these flags.

Options:
  -s, --system TEXT    A system prompt (@FILE reads it from a file)
  -p, --profile NAME   A profile from profiles.yaml
  -t, --template NAME  A prompt template: $XDG_CONFIG_HOME/geppetto/templates/NAME.yaml (or a path), with
                       prompt, system, model and defaults; {{name}} is filled from -v, {{input}} is the prompt
  -v, --var KEY=VALUE  A template variable (repeatable)
  --output FORMAT      text (stream the answer; default), json or yaml (print the final Turn),
                       jsonl (one event per line as it happens, then the final Turn as the last line;
                       text events carry their delta, the whole answer is on the final event)
  --jsonl-completion   With --output jsonl: text events also carry the answer so far (\`completion\`)
  --image PATH|URL     An image for the prompt (repeatable; local files are sent as base64)
  --attach FILE        A file for the prompt (repeatable): text files as fenced blocks after the prompt,
                       images as --image, PDFs as documents (not Ollama); other binary files are refused
  --session ID         Continue a stored session (any unique prefix of its id; see \`geppetto sessions list\`)
  -c, --continue       Continue the most recent session
  --no-log             Do not keep this run in the session store (every run is kept by default)
  --db PATH|URL        The session store: a SQLite file or a postgres:// URL (default: GEPPETTO_DB, the
                       settings' store, else $XDG_DATA_HOME/geppetto/sessions.db)
  ${MODEL_FLAG_HELP}
  --tools SET|MODULE   Offer tools and run the tool loop: demo (time, calculator), or the defineTool exports
                       of your module (./my-tools.ts or .js)
  --yes                Allow calls of tools marked needsApproval without asking (otherwise asked on the
                       terminal, and refused when there is none)
  --schema FILE        Answer with JSON that follows a schema (schema.json, or a module exporting a zod
                       schema); prints the validated object, exit 1 with the issues when none validates
  ${MCP_FLAG_HELP}
  --record FILE        Record the provider exchanges to FILE (a replayable fixture) and FILE's .request.json
  --print-settings     Print the settings in force, where each came from (secrets redacted), and exit
  -h, --help           Show this help

Settings (each also read from GEPPETTO_<NAME>, e.g. --ai-engine from GEPPETTO_AI_ENGINE):
${settingsFlagsHelp()}

Exit codes: 0 done, 1 failed (what was produced is still printed), 2 bad usage, 130 cancelled (Ctrl-C).

Examples:
  geppetto run "Hello"
  geppetto run --system "Answer in French" "How are you?"
  echo "Hello" | geppetto run --output json
  geppetto run --output jsonl "Hello" | jq -c 'select(.type == "partial") | .delta'
  OPENAI_API_KEY=sk-... geppetto run --ai-api-type openai --ai-engine gpt-4o-mini "Hello"
  geppetto run --profile fast --ai-temperature 0.2 "Write a haiku"
  geppetto run --ai-api-type anthropic --thinking-budget 2048 --image ./chart.png "What does this show?"
  geppetto run --profile fast --print-settings
  geppetto run --attach notes.md --attach chart.png "Summarize these"
  geppetto run --tools demo "What is 6 * 7?"
  geppetto run -m anthropic:claude-sonnet-4-20250514 --tools ./my-tools.ts "What is the weather in Paris?"
  geppetto run -m openai:gpt-4o-mini --schema person.json "Invent a person"
  geppetto run --mcp everything "Add 2 and 3"   # mcp.servers.everything in the settings
  geppetto run -t summarize -v words=20 < notes.md  # templates/summarize.yaml: {{words}}, {{input}}
  geppetto run --session 3f2c "And in French?"   # any unique prefix of the id
  geppetto run -c "And in German?"               # continue the last conversation
`;

const OPTIONS = {
  ...settingsParseOptions(),
  ...MODEL_OPTION,
  schema: { type: "string" },
  yes: { type: "boolean" },
  image: { type: "string", multiple: true },
  attach: { type: "string", multiple: true },
  "print-settings": { type: "boolean" },
  record: { type: "string" },
  tools: { type: "string" },
  mcp: { type: "string", multiple: true },
  session: { type: "string" },
  continue: { type: "boolean", short: "c" },
  "no-log": { type: "boolean" },
  db: { type: "string" },
  system: { type: "string", short: "s" },
  profile: { type: "string", short: "p" },
  template: { type: "string", short: "t" },
  var: { type: "string", short: "v", multiple: true },
  output: { type: "string", short: "o" },
  "jsonl-completion": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Standard input as text. It is read as bytes and decoded as UTF-8; input that is not UTF-8 (its bad bytes become
 * U+FFFD) or looks binary (NUL bytes) is still used, with a warning on stderr.
 */
async function readStdin(io: CliIO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  const bytes = Buffer.concat(chunks);
  if (bytes.includes(0)) {
    io.stderr.write("geppetto: warning: standard input looks binary (it holds NUL bytes); sent as text\n");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    io.stderr.write(
      "geppetto: warning: standard input is not valid UTF-8; its invalid bytes were replaced by U+FFFD\n",
    );
    return new TextDecoder("utf-8").decode(bytes);
  }
}

/**
 * Whether standard input is piped in (a pipe or a redirected file) next to a prompt given as arguments. A socket
 * (a parent process's stdio) or a terminal is left unread, so a caller that never closes it does not block us.
 */
function stdinIsPiped(io: CliIO): boolean {
  if (io.stdinFd === undefined) return io.stdin.isTTY !== true;
  try {
    const stat = fstatSync(io.stdinFd);
    return stat.isFIFO() || stat.isFile();
  } catch {
    return false;
  }
}

/** Piped text as a fenced block, the fence longer than any backtick run inside it. */
function fenced(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}\n${text.replace(/\s+$/, "")}\n${fence}`;
}

/** `--system TEXT`, or with `@FILE` the file's text (a missing file is bad usage naming it). */
function systemPrompt(value: string, io: CliIO): string {
  if (!value.startsWith("@")) return value;
  const path = resolve(io.cwd ?? process.cwd(), value.slice(1));
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as { code?: string }).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new UsageError(`--system ${value}: cannot read ${path}: ${reason}`);
  }
}

function printTurn(io: CliIO, format: OutputFormat, turn: Turn): void {
  if (format === "json") io.stdout.write(`${turnToJson(turn)}\n`);
  else if (format === "yaml") io.stdout.write(turnToYaml(turn));
  else if (format === "jsonl") io.stdout.write(`${JSON.stringify(turnToDocument(turn), roundDurations)}\n`);
}

/** Runs the command. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS);
  if (parsed.values.template === undefined && parsed.values.var !== undefined)
    throw new UsageError("-v needs --template NAME");
  // Templates (YAML, zod) load only when one is asked for.
  const templates = parsed.values.template === undefined ? undefined : await import("./templates.ts");
  const template = templates?.loadTemplate(parsed.values.template ?? "", io);
  const variables = templates?.parseVariables(parsed.values.var ?? []) ?? {};
  // The template's model is the default: a model or profile flag given now wins.
  const chosen = ["model", "profile", "ai-api-type", "ai-engine"].some(
    (flag) => (parsed.values as Record<string, unknown>)[flag] !== undefined,
  );
  const values = applyModelFlag(
    template?.model !== undefined && !chosen ? { ...parsed.values, model: template.model } : parsed.values,
  );
  const { positionals } = parsed;
  if (values.help) {
    io.stdout.write(HELP());
    return 0;
  }
  const format = oneOf("output", values.output, OUTPUTS, "text");
  checkToolSet(values.tools);
  if (values["print-settings"]) {
    const loaded = await loadCommandSettings(values, io);
    const { formatSettings, settingsToJson } = await import("../settings/print.ts");
    io.stdout.write(format === "json" ? `${settingsToJson(loaded)}\n` : formatSettings(loaded));
    if (loaded.settings.chat?.apiType === undefined) {
      io.stderr.write(
        "geppetto: no provider configured (no api type): run would use the local provider server\n",
      );
    }
    return 0;
  }
  const images = (values.image ?? []).map((image) => loadImage(image, io.cwd ?? process.cwd()));
  const attached = loadAttachments(values.attach ?? [], io.cwd ?? process.cwd());
  images.push(...attached.images);
  let prompt = positionals.join(" ");
  if (prompt.trim() === "" && !io.stdin.isTTY) prompt = await readStdin(io);
  else if (stdinIsPiped(io)) {
    const piped = await readStdin(io);
    if (piped.trim() !== "") prompt = `${prompt.trim()}\n\n${fenced(piped)}`;
  }
  const continuing = values.session !== undefined || values.continue === true;
  let system = values.system === undefined ? undefined : systemPrompt(values.system, io);
  if (templates && template) {
    const filled = templates.applyTemplate(template, prompt, variables);
    prompt = filled.prompt;
    // A continued conversation keeps its own system prompt.
    if (!continuing) system ??= filled.system;
  }
  if (prompt.trim() === "") throw new UsageError("no prompt: give one as arguments or on standard input");
  if (attached.text.length > 0) prompt = [prompt.trim(), ...attached.text].join("\n\n");

  if (continuing && values.system !== undefined) {
    throw new UsageError(
      "--system starts a new conversation; it cannot be combined with --session or --continue",
    );
  }
  if (values.session !== undefined && values.continue)
    throw new UsageError("use --session or --continue, not both");
  if (continuing && values["no-log"]) {
    throw new UsageError("--no-log cannot be combined with --session or --continue (they save the answer)");
  }
  const blocks: Block[] = [];
  if (system) blocks.push(newSystemTextBlock(system));
  blocks.push(
    images.length > 0 || attached.documents.length > 0
      ? newUserMultimodalBlock(prompt.trim(), images, attached.documents)
      : newUserTextBlock(prompt.trim()),
  );
  const session = values["no-log"]
    ? undefined
    : await openRunSession(
        {
          ...(values.session === undefined ? {} : { sessionId: values.session }),
          ...(values.continue ? { continueLast: true } : {}),
          ...(values.db === undefined ? {} : { db: values.db }),
          configured: async () => (await loadCommandSettings(values, io)).settings.store,
        },
        io,
      ).catch((error: unknown) => {
        // Logging is a convenience: a store that cannot be opened never stops a run that did not ask for it.
        if (continuing) throw error;
        io.stderr.write(`geppetto: warning: not logged: ${error instanceof Error ? error.message : error}\n`);
        return undefined;
      });
  let input = session ? session.continueWith(blocks) : newTurn(blocks);
  let selected: SelectedEngine;
  // MCP servers connect in the background while the engine is set up.
  const mcp = values.mcp
    ? await startMcpServers(
        values.mcp,
        await loadCommandSettings(values, io),
        io,
        await toolSetRegistry(values.tools, io.cwd ?? process.cwd()),
      ).catch(async (error: unknown) => {
        await session?.close();
        throw error;
      })
    : undefined;
  try {
    selected = await selectEngine(values, io, { tools: values.tools !== undefined });
  } catch (error) {
    await session?.close();
    await mcp?.close();
    throw error;
  }
  if (selected.isDefault) io.stderr.write(`geppetto: ${selected.description}\n`);
  let structured: ReturnType<typeof structuredOutputOfSettings>;
  try {
    structured = structuredOutputOfSettings(selected.settings, (line) => io.stderr.write(line));
  } catch (error) {
    await session?.close();
    await selected.close();
    await mcp?.close();
    throw error;
  }
  // The turn's own config wins over the engine's default, so the provider gets the checked (strict-ready) schema.
  if (structured) input = KeyStructuredOutputConfig.set(input, structured);

  const controller = new AbortController();
  let interrupts = 0;
  const stopListening = io.onInterrupt(() => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort(new Error("cancelled by the user (Ctrl-C)"));
  });

  // Retries and other status lines go to stderr in every format (jsonl also has them as events).
  let ctx = RunContext.background().withSignal(controller.signal).withSinks(statusPrinter(io.stderr));
  if (session) ctx = ctx.withIds({ sessionId: session.sessionId });
  // The tool trace goes to stderr, so stdout holds the answer only (with --schema, the validated object).
  if (format === "text" && values.schema === undefined)
    ctx = ctx.withSinks(new TextPrinter(io.stdout, { showTools: false }), toolTracePrinter(io.stderr));
  if (format === "jsonl")
    ctx = ctx.withSinks(jsonlPrinter(io.stdout, { completion: values["jsonl-completion"] === true }));

  const recording = values.record
    ? startRecording(ctx, values.record, ctx.logger.unredacted === true, io)
    : undefined;
  if (recording) ctx = recording.ctx;
  let produced: Turn | undefined;
  let approval: ToolApproval | undefined;
  try {
    if (mcp) await mcpReady(mcp, io);
    if (values.schema !== undefined) {
      const apiType = selected.settings?.settings.chat?.apiType;
      const registry = mcp?.registry ?? (await toolSetRegistry(values.tools, io.cwd ?? process.cwd()));
      const answer = await runWithSchema({
        schemaPath: values.schema,
        engine: selected.engine,
        input,
        ctx,
        io,
        ...(apiType ? { apiType } : {}),
        ...(registry ? { registry } : {}),
      });
      produced = answer.turn;
      return controller.signal.aborted ? 130 : answer.code;
    }
    const engine = await engineWithTools(
      values.tools,
      selected.engine,
      mcp?.registry,
      io.cwd ?? process.cwd(),
      (tools) => {
        approval = toolApproval(tools, io, values.yes === true);
        return approval?.stepControl;
      },
    );
    const { turn: answered, result } = await runInferenceWithResult(engine, input, ctx);
    produced = answered;
    printTurn(io, format, produced);
    if (result.structuredOutput?.valid === false) {
      io.stderr.write(
        `geppetto run: warning: ${result.structuredOutput.error ?? "invalid structured output"}\n`,
      );
    }
    return controller.signal.aborted ? 130 : 0;
  } catch (error) {
    // A tools or schema module that cannot be used is bad usage (exit 2), found only once it is loaded.
    if (error instanceof UsageError) throw error;
    if (GeppettoError.is(error) && error.turn) {
      produced = error.turn;
      printTurn(io, format, error.turn);
    }
    io.stderr.write(`geppetto run: ${error instanceof Error ? error.message : String(error)}\n`);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    recording?.report();
    stopListening();
    approval?.close();
    if (session) {
      if (produced) await session.save(produced);
      await session.close();
      if (session.continued) {
        io.stderr.write(`geppetto: saved to session ${session.sessionId} (${session.where})\n`);
      }
    }
    await selected.close();
    await mcp?.close();
  }
}
