/**
 * The logging options every command takes: `--log-level LEVEL` (or `GEPPETTO_LOG`), `--log-unredacted`. They are
 * read before the command parses its own options and set the process's default logger (stderr), so every run
 * context a command makes logs at that level.
 */

import type { RunContext } from "../events/context.ts";
import {
  createConsoleLogger,
  parseLogLevel,
  setDefaultLogger,
  silentLogger,
} from "../observability/logger.ts";
import { createRecordingTap, withRecording } from "../observability/recorder.ts";
import type { CliIO } from "./main.ts";
import { UsageError } from "./usage.ts";

/**
 * `run --record FILE`: records every exchange with the provider to FILE (the first), FILE.2… in the fixture
 * formats, and says on stderr what was written.
 *
 * @example
 * const recording = startRecording(ctx, "bug.sse", false, io); // run with recording.ctx, then recording.report()
 */
export function startRecording(
  ctx: RunContext,
  file: string,
  unredacted: boolean,
  io: CliIO,
): { ctx: RunContext; report(): void } {
  const tap = createRecordingTap(file, { unredacted });
  return {
    ctx: withRecording(ctx, tap),
    report() {
      io.stderr.write(
        tap.files.length === 0
          ? "geppetto: --record: nothing was recorded (the embedded default sends no HTTP request)\n"
          : `geppetto: recorded ${tap.files.length / 2} exchange(s): ${tap.files.join(", ")}\n`,
      );
    },
  };
}

/**
 * Removes the logging options from `argv` (up to a `--`), sets the default logger from them and
 * `GEPPETTO_LOG`, and returns the rest for the command.
 *
 * @example
 * applyLogFlags(["--log-level", "debug", "Hello"], io) // ["Hello"]; debug lines go to io.stderr
 */
export function applyLogFlags(argv: string[], io: CliIO): string[] {
  const rest: string[] = [];
  let level: string | undefined;
  let where = "GEPPETTO_LOG";
  let unredacted = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === "--") {
      rest.push(...argv.slice(index));
      break;
    }
    if (arg === "--log-unredacted") unredacted = true;
    else if (arg === "--log-level") {
      level = argv[++index];
      where = "--log-level";
      if (level === undefined)
        throw new UsageError("--log-level needs a level (error, warn, info, debug, trace)");
    } else if (arg.startsWith("--log-level=")) {
      level = arg.slice("--log-level=".length);
      where = "--log-level";
    } else rest.push(arg);
  }
  level ??= io.env.GEPPETTO_LOG;
  let threshold: ReturnType<typeof parseLogLevel> = "silent";
  try {
    if (level !== undefined) threshold = parseLogLevel(level, where);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  setDefaultLogger(
    threshold === "silent" && !unredacted
      ? silentLogger
      : createConsoleLogger({ level: threshold, unredacted, stream: io.stderr }),
  );
  return rest;
}
