/**
 * The geppetto command line: dispatches to a command, loaded only when used so start-up stays fast.
 *
 * Exit codes: 0 success, 1 failure (what was produced is still printed), 2 bad usage, 130 cancelled (Ctrl-C).
 */
import { applyLogFlags, LOG_FLAGS_HELP } from "./log-flags.ts";
import { UsageError } from "./usage.ts";

/** A command: its one-line summary and its module, imported on use. */
interface CommandEntry {
  summary: string;
  load: () => Promise<{ run(argv: string[], io: CliIO): Promise<number> }>;
}

/** Where a command reads and writes; the real process streams by default, buffers in tests. */
export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** The folder project files (`./.geppetto.yaml`) are read from; default `process.cwd()`. */
  cwd?: string;
  /** Receives Ctrl-C; the real process by default. */
  onInterrupt(handler: () => void): () => void;
}

export const COMMANDS: Record<string, CommandEntry> = {
  run: { summary: "Run one inference on a prompt and print the answer", load: () => import("./run.ts") },
  "serve-provider": {
    summary: "Serve provider wire protocols on 127.0.0.1 (recorded or scripted answers)",
    load: () => import("./serve-provider.ts"),
  },
  chat: {
    summary: "Chat in the terminal (streamed, cancellable, saved)",
    load: () => import("./chat/command.ts"),
  },
  webchat: {
    summary: "Chat in the browser (streamed over a WebSocket, kept in a timeline)",
    load: () => import("./webchat.ts"),
  },
  profiles: { summary: "List and show settings profiles", load: () => import("./profiles.ts") },
  sessions: { summary: "List, show and export stored sessions", load: () => import("./sessions.ts") },
  mcp: { summary: "List the MCP servers of the settings and their tools", load: () => import("./mcp.ts") },
  models: {
    summary: "Known models per provider, with prices and context sizes",
    load: () => import("./models.ts"),
  },
  keys: { summary: "Where each provider's API key comes from (redacted)", load: () => import("./keys.ts") },
};

function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    onInterrupt(handler) {
      process.on("SIGINT", handler);
      return () => process.off("SIGINT", handler);
    },
  };
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return `geppetto: build applications on large language models

Usage: geppetto <command> [options]

Commands:
${lines.join("\n")}

Run \`geppetto <command> --help\` for a command's options and examples; \`geppetto --version\` (-V) prints
the version.

${LOG_FLAGS_HELP}
Examples:
  geppetto run "Hello"                      # no provider configured: a local server, no API key, no network
  geppetto run --profile fast "Hello"       # settings from a profile (see \`geppetto profiles list\`)
  echo "Summarize this" | geppetto run --output json
  geppetto webchat                          # the chat in a browser, on http://127.0.0.1:8765/
`;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V" || name === "-v" || name === "version") {
    const { createRequire } = await import("node:module");
    const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const { didYouMean } = await import("./suggest.ts");
    const hint = didYouMean(name.replace(/^-+/, ""), Object.keys(COMMANDS));
    io.stderr.write(
      `geppetto: unknown command "${name}"${hint} (commands: ${Object.keys(COMMANDS).join(", ")})\n`,
    );
    return 2;
  }
  try {
    const args = applyLogFlags(rest, io);
    const command = await entry.load();
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`geppetto ${name}: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`geppetto ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
