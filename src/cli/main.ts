/**
 * The geppetto command line: dispatches to a command, loaded only when used so start-up stays fast. The bundled
 * `geppetto run` (run-entry.ts) uses the same dispatcher with the run command only.
 *
 * Exit codes: 0 success, 1 failure (what was produced is still printed), 2 bad usage, 130 cancelled (Ctrl-C).
 */
import { COMMAND_SUMMARIES, type CommandName, MAIN_HELP } from "./help.ts";

/** A command's module, imported on use. */
export type CommandModule = { run(argv: string[], io: CliIO): Promise<number> };

/** The modules of the commands a dispatcher knows, each imported only when its command runs. */
export type CommandTable = Partial<Record<CommandName, () => Promise<CommandModule>>>;

/** Where a command reads and writes; the real process streams by default, buffers in tests. */
export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** The descriptor behind `stdin` when it is the process's own (0): a command can look at it without reading. */
  stdinFd?: number;
  env: NodeJS.ProcessEnv;
  /** The folder project files (`./.geppetto.yaml`) are read from; default `process.cwd()`. */
  cwd?: string;
  /** Receives Ctrl-C; the real process by default. */
  onInterrupt(handler: () => void): () => void;
}

/** The real process's streams, environment and Ctrl-C. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // On first use: building process.stdin costs milliseconds (a file's stream loads fs/promises and readline),
    // and a run whose prompt is in its arguments never reads it.
    get stdin() {
      return process.stdin;
    },
    stdinFd: 0,
    env: process.env,
    onInterrupt(handler) {
      process.on("SIGINT", handler);
      return () => process.off("SIGINT", handler);
    },
  };
}

/**
 * Runs `argv` (without node and script) with the commands of `commands` and returns the exit code.
 *
 * @example
 * const code = await dispatch(["run", "Hello"], processIO(), { run: () => import("./run.ts") });
 */
export async function dispatch(argv: string[], io: CliIO, commands: CommandTable): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(MAIN_HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V" || name === "-v" || name === "version") {
    const { createRequire } = await import("node:module");
    const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name as CommandName] : undefined;
  if (!load) {
    const names = Object.keys(COMMAND_SUMMARIES);
    const { didYouMean } = await import("./suggest.ts");
    const hint = didYouMean(name.replace(/^-+/, ""), names);
    io.stderr.write(`geppetto: unknown command "${name}"${hint} (commands: ${names.join(", ")})\n`);
    return 2;
  }
  try {
    const { applyLogFlags } = await import("./log-flags.ts");
    const args = applyLogFlags(rest, io);
    const command = await load();
    return await command.run(args, io);
  } catch (error) {
    const { UsageError } = await import("./usage.ts");
    if (error instanceof UsageError) {
      io.stderr.write(`geppetto ${name}: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`geppetto ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/**
 * The commands and their modules: only the chosen command's module is imported, and `--help` imports none (its
 * text is in help.ts).
 */
export const COMMANDS: Required<CommandTable> = {
  run: () => import("./run.ts"),
  "serve-provider": () => import("./serve-provider.ts"),
  chat: () => import("./chat/command.ts"),
  webchat: () => import("./webchat.ts"),
  profiles: () => import("./profiles.ts"),
  sessions: () => import("./sessions.ts"),
  mcp: () => import("./mcp.ts"),
  models: () => import("./models.ts"),
  keys: () => import("./keys.ts"),
};

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  return dispatch(argv, io, COMMANDS);
}
