/**
 * The geppetto command line: dispatches to a command, loaded only when used so start-up stays fast.
 *
 * Exit codes: 0 success, 1 failure (what was produced is still printed), 2 bad usage, 130 cancelled (Ctrl-C).
 */
import { type CliIO, type CommandTable, dispatch, processIO } from "./dispatch.ts";

export type { CliIO } from "./dispatch.ts";

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
