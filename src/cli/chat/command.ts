/**
 * `geppetto chat`: an interactive terminal chat, stored in the session store so it can be resumed.
 * The terminal UI (Ink, React) is imported only once the command runs, so `geppetto --help` stays fast.
 */

import type { Engine } from "../../engine/engine.ts";
import { mcpApproval } from "../../mcp/approval.ts";
import { settingsFlagsHelp, settingsParseOptions } from "../../settings/flags.ts";
import type { StepController } from "../../toolloop/step-control.ts";
import type { ToolRegistry } from "../../tools/registry.ts";
import type { Turn } from "../../turns/types.ts";
import { type Attachments, loadAttachments } from "../attachments.ts";
import { loadCommandSettings, type SelectedEngine, selectEngine } from "../engine-selection.ts";
import type { CliIO } from "../main.ts";
import { MCP_FLAG_HELP, mcpReady, startMcpServers } from "../mcp.ts";
import { applyModelFlag, MODEL_FLAG_HELP, MODEL_OPTION } from "../model-flag.ts";
import { checkToolSet, toolSetRegistry } from "../run-tools.ts";
import { DB_FLAG_HELP, sessionDbPath, sessionStoreLocation } from "../session-db.ts";
import { needsApprovalControl } from "../tool-approval.ts";
import { parseCommandLine, UsageError } from "../usage.ts";
import type { ChatBackend } from "./backend.ts";
import { engineChoiceOf, KeyChatEngine, restoreEngineChoice } from "./engine-choice.ts";
import { type EngineSwitch, engineSwitch } from "./engine-switch.ts";

/** The command's help. */
export function chatHelp(): string {
  return `Usage: geppetto chat [options]

An interactive chat in the terminal. Answers stream as they come (reasoning dimmed, tool calls with their
results), with the tokens and cost of each answer. Every turn is saved in the session store, so a chat can be
continued later with --resume or --session. With standard input piped, each line is a prompt and the answers
are printed one per line (reasoning, tool calls and usage on stderr).

Keys:
  Enter                Send the prompt (while an answer streams, what you type is kept for the next one)
  Alt+Enter            A new line (Shift+Enter where the terminal reports it); a paste keeps its newlines
  Left/Right, Home/End Move the cursor (Ctrl-A, Ctrl-E: start, end)
  Ctrl-W, Ctrl-U       Delete the word before the cursor, everything before it
  Up/Down              Earlier prompts (kept between chats, next to the session store)
  Ctrl-C               Cancel the answer being written (what was written is kept); clear the line; on an
                       empty line, exit
  Ctrl-D               Exit (on an empty line)

Commands (answered in the chat, never sent to the model; \`//text\` sends "/text"):
  /help  /exit  /clear (a new session)  /model [provider:model]  /profile NAME  /system [TEXT | -]
  /attach FILE  /retry  /save FILE (Markdown)  /copy (the last answer, to the clipboard over OSC 52)
  With piped input the same commands work, one a line; what they answer goes to stderr (/copy only when
  stderr is a terminal).

Options:
  --resume             Continue the most recent session
  --session ID         Continue the session ID (see \`geppetto sessions list\`)
  --system TEXT        A system prompt for a new session
  --attach FILE        A file for the first prompt (repeatable), as \`run --attach\`: text files fenced after
                       the prompt, images as images, PDFs as documents (not Ollama); /attach FILE for later ones
  --plain              Show answers as written (no Markdown rendering: headings, emphasis, highlighted code
                       blocks, aligned tables); model output is always printed inert (no escape sequences)
  ${MODEL_FLAG_HELP}
  --tools SET|MODULE   Offer tools and run the tool loop: demo (time, calculator), or your defineTool
                       exports (./my-tools.ts); tools marked needsApproval are asked about
  ${MCP_FLAG_HELP}
                       (the chat asks before a tool of an untrusted server runs; with piped input it is denied)
  ${DB_FLAG_HELP}
  -h, --help           Show this help

Engine settings (see \`geppetto run --help\`):
${settingsFlagsHelp()}

Exit codes: 0 done, 1 failed (an unknown session; with piped input, a failed answer), 2 bad usage,
130 interrupted (Ctrl-C twice while an answer is being cancelled; Ctrl-C with piped input).

Examples:
  geppetto chat                                  # the embedded default: no API key, no network
  geppetto chat --ai-api-type openai --ai-engine gpt-4o-mini
  geppetto chat --resume                         # continue the last session
  geppetto chat --tools demo                     # ask "what is 6 * 7?" and watch the calculator run
  geppetto chat --mcp everything                 # the tools of mcp.servers.everything in the settings
  geppetto chat --session 3f2c… --db ./chats.db
  printf 'Hello\\nAnd again\\n' | geppetto chat --resume
`;
}

const OPTIONS = {
  ...settingsParseOptions(),
  ...MODEL_OPTION,
  resume: { type: "boolean" },
  session: { type: "string" },
  system: { type: "string" },
  attach: { type: "string", multiple: true },
  plain: { type: "boolean" },
  tools: { type: "string" },
  mcp: { type: "string", multiple: true },
  db: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * The engine and tools for `--tools SET|MODULE` (the default engine already calls the demo tools when asked to);
 * calls of tools marked `needsApproval` are asked about through `ask`.
 */
async function withTools(
  toolSet: string | undefined,
  selected: SelectedEngine,
  cwd: string,
  ask: (question: string) => Promise<boolean>,
): Promise<[Engine, { registry?: ToolRegistry; stepControl?: StepController }]> {
  const registry = await toolSetRegistry(toolSet, cwd);
  if (registry === undefined) return [selected.engine, {}];
  const stepControl = needsApprovalControl(
    registry,
    async (question) => (await ask(question)) || "the user refused",
  );
  return [selected.engine, { registry, ...(stepControl ? { stepControl } : {}) }];
}

function isInteractive(io: CliIO): boolean {
  return (
    io.stdin.isTTY === true &&
    io.stdout.isTTY === true &&
    typeof (io.stdin as { setRawMode?: unknown }).setRawMode === "function"
  );
}

/** Runs the command. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS);
  const { positionals } = parsed;
  let values = applyModelFlag(parsed.values);
  if (values.help) {
    io.stdout.write(chatHelp());
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `chat takes no arguments (got "${positionals.join(" ")}"); type prompts in the chat`,
    );
  }
  if (values.resume && values.session !== undefined)
    throw new UsageError("use --resume or --session, not both");
  checkToolSet(values.tools);
  const cwd = io.cwd ?? process.cwd();
  // Files for the first prompt, read now: a missing or unusable one is bad usage before anything starts.
  const attachments = values.attach?.length ? loadAttachments(values.attach, cwd) : undefined;

  // Sessions, tools and the UI are imported only now, so `--help` and bad usage stay fast.
  const { conversationBackend, openChatConversation } = await import("./session-backend.ts");
  const location = await sessionStoreLocation(
    values.db,
    io.env,
    async () => (await loadCommandSettings(values, io)).settings.store,
  );
  const conversation = await openChatConversation({
    dbPath: location.label,
    location,
    resume: values.resume === true,
    ...(values.session === undefined ? {} : { sessionId: values.session }),
    ...(values.system === undefined ? {} : { system: values.system }),
  });
  // A resumed session continues on its provider and model (a flag given now wins).
  const restored = restoreEngineChoice(values, conversation.history);
  values = restored.flags;
  let selected: SelectedEngine;
  // MCP servers connect in the background while the engine is set up.
  const mcp = values.mcp
    ? await startMcpServers(
        values.mcp,
        await loadCommandSettings(values, io),
        io,
        await toolSetRegistry(values.tools),
      ).catch(async (error: unknown) => {
        await conversation.store.close();
        throw error;
      })
    : undefined;
  // Who answers an approval question: the terminal chat once it runs; with piped input nobody (denied).
  const approval = {
    ask: async (question: string) => {
      io.stderr.write(`geppetto: denied (no terminal to ask): ${question}\n`);
      return false;
    },
  };
  let stepControl: StepController | undefined;
  try {
    selected = await selectEngine(values, io, { tools: values.tools !== undefined });
    if (mcp) {
      await mcpReady(mcp, io);
      stepControl = mcpApproval(mcp.registry, (question) => approval.ask(question));
    }
  } catch (error) {
    await conversation.store.close();
    await mcp?.close();
    throw error;
  }
  let backend: ChatBackend;
  try {
    const [engine, tools] = mcp
      ? [selected.engine, { registry: mcp.registry, ...(stepControl ? { stepControl } : {}) }]
      : await withTools(values.tools, selected, cwd, (question) => approval.ask(question));
    const choice = engineChoiceOf(selected, (values as { profile?: string }).profile);
    const stamp = choice ? (turn: Turn) => KeyChatEngine.set(turn, choice) : undefined;
    backend = conversationBackend(conversation, engine, { ...tools, ...(stamp ? { stamp } : {}) });
  } catch (error) {
    await conversation.store.close();
    await selected.close();
    await mcp?.close();
    throw error;
  }
  // /model and /profile choose engines as the flags do; the switch owns (and closes) the engine in use.
  const engines = engineSwitch(
    values,
    selected,
    (flags) => selectEngine(flags, io, { tools: values.tools !== undefined }),
    backend,
  );
  const where = [
    `${conversation.resumed ? "Resumed" : "New"} session ${conversation.sessionId} (${conversation.dbPath})`,
    ...(restored.notice === undefined ? [] : [restored.notice]),
    ...(values.attach?.length ? [`attached to the first prompt: ${values.attach.join(", ")}`] : []),
  ].join("\n");
  try {
    if (!isInteractive(io)) {
      if (selected.isDefault) io.stderr.write(`geppetto: ${selected.description}\n`);
      io.stderr.write(`${where}\n`);
      const { runLineChat } = await import("./line-mode.ts");
      return await runLineChat(backend, io, { cwd, engines, ...(attachments ? { attachments } : {}) });
    }
    const { contextWindowOf } = await import("../models.ts");
    return await runTerminalChat(
      backend,
      io,
      // The input history sits beside a SQLite store; with PostgreSQL, in the local data directory.
      {
        dbPath: location.kind === "sqlite" ? location.url : sessionDbPath(undefined, io.env),
        contextWindow: contextWindowOf(selected.settings?.settings),
        markdown: values.plain !== true,
        cwd,
        ...(attachments ? { attachments } : {}),
      },
      [...(selected.isDefault ? [`geppetto: ${selected.description}`] : []), where],
      approval,
      engines,
    );
  } finally {
    await backend.close();
    await engines.close();
    await mcp?.close();
  }
}

async function runTerminalChat(
  backend: ChatBackend,
  io: CliIO,
  {
    dbPath,
    contextWindow,
    markdown,
    cwd,
    attachments,
  }: {
    dbPath: string;
    contextWindow: number | undefined;
    markdown: boolean;
    cwd: string;
    attachments?: Attachments;
  },
  notices: string[],
  approval: { ask: (question: string) => Promise<boolean> },
  engines: EngineSwitch,
): Promise<number> {
  const [{ ChatController }, { renderChat }, { appendHistory, historyPath, readHistory }] = await Promise.all(
    [
      import("./controller.ts"),
      import("./terminal-ui.ts").then(({ loadTerminalUi }) => loadTerminalUi()),
      import("./input-history.ts"),
    ],
  );
  const screen = io.stdout as { columns?: number };
  const controller = new ChatController(backend, {
    notices,
    ...(screen.columns ? { columns: screen.columns } : {}),
    writeTerminal: (bytes) => io.stdout.write(bytes),
    cwd,
    engines,
    ...(attachments ? { attachments } : {}),
  });
  approval.ask = (question) => controller.askApproval(question);
  const file = historyPath(dbPath);
  const chat = renderChat(
    controller,
    {
      stdin: io.stdin,
      stdout: io.stdout as NodeJS.WritableStream,
      stderr: io.stderr as NodeJS.WritableStream,
    },
    // https://no-color.org: any non-empty NO_COLOR turns colors off.
    {
      color: !io.env.NO_COLOR,
      markdown,
      history: readHistory(file),
      ...(contextWindow === undefined ? {} : { contextWindow }),
      onSent: (prompt) => {
        try {
          appendHistory(file, prompt);
        } catch {
          // A history that cannot be written (a read-only folder) never stops the chat.
        }
      },
    },
  );
  const stopListening = io.onInterrupt(() => {
    if (!controller.cancel()) chat.exit(0);
  });
  try {
    return await chat.exited;
  } finally {
    stopListening();
    controller.dispose();
  }
}
