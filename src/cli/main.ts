/**
 * The geppetto command line: dispatches to a command, loaded only when used so start-up stays fast.
 *
 * Exit codes: 0 success, 1 failure (what was produced is still printed), 2 bad usage, 130 cancelled (Ctrl-C).
 */
import { type CommandName, MAIN_HELP } from "./help.ts";

/** A command's module, imported on use. */
type CommandModule = { run(argv: string[], io: CliIO): Promise<number> };

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

/**
 * The commands and their modules: only the chosen command's module is imported, and `--help` imports none (its
 * text is in help.ts).
 */
export const COMMANDS: Record<CommandName, () => Promise<CommandModule>> = {
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

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
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
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined;
  if (!load) {
    const { didYouMean } = await import("./suggest.ts");
    const hint = didYouMean(name.replace(/^-+/, ""), Object.keys(COMMANDS));
    io.stderr.write(
      `geppetto: unknown command "${name}"${hint} (commands: ${Object.keys(COMMANDS).join(", ")})\n`,
    );
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
