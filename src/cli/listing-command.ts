/**
 * What `geppetto keys` and `geppetto models` share: the settings flags plus `--output text|json` and `--help`, no
 * arguments, and the settings loaded as `run` loads them.
 */
import { settingsParseOptions } from "../settings/flags.ts";
import type { LoadedSettings } from "../settings/load.ts";
import { loadCommandSettings } from "./engine-selection.ts";
import type { CliIO } from "./main.ts";
import { oneOf, parseCommandLine, UsageError } from "./usage.ts";

const OPTIONS = {
  ...settingsParseOptions(),
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Parses a listing command's `argv`: prints `help` and returns undefined for `--help`; otherwise the output format
 * and the loaded settings. Arguments are refused, naming the command.
 *
 * @example
 * const listing = await parseListingCommand("keys", argv, HELP, io);
 * if (!listing) return 0; // --help was printed
 */
export async function parseListingCommand(
  command: string,
  argv: string[],
  help: string,
  io: CliIO,
): Promise<{ format: "text" | "json"; loaded: LoadedSettings } | undefined> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(help);
    return undefined;
  }
  if (positionals.length > 0)
    throw new UsageError(`${command} takes no arguments (got "${positionals.join(" ")}")`);
  const format = oneOf("output", values.output, ["text", "json"] as const, "text");
  return { format, loaded: await loadCommandSettings(values, io) };
}
