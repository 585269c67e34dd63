/**
 * `geppetto profiles list|show`: the settings profiles of profiles.yaml and ./.geppetto-profiles.yaml.
 */
import { GeppettoError } from "../engine/errors.ts";
import { loadCommandSettings } from "./engine-selection.ts";
import type { CliIO } from "./main.ts";
import { oneOf, parseCommandLine, UsageError } from "./usage.ts";

/** The help of `geppetto profiles`. */
export const HELP = `Usage: geppetto profiles <list|show> [options]

Profiles are named settings in $XDG_CONFIG_HOME/geppetto/profiles.yaml (default ~/.config) and
./.geppetto-profiles.yaml; a profile may extend others. Select one with --profile NAME or GEPPETTO_PROFILE.

  profiles.yaml:
    default: fast
    profiles:
      base: { chat: { apiType: openai, engine: gpt-4o-mini } }
      fast: { extends: base, description: Quick answers, chat: { temperature: 0.2 } }

Commands:
  list               The profiles, the file each comes from, what it extends; * marks the default
  show [NAME]        The settings in force with that profile (default: the selected one), each with its
                     source; secrets redacted

Options:
  --output FORMAT    text (default) or json
  -h, --help         Show this help

Examples:
  geppetto profiles list
  geppetto profiles show fast
  geppetto profiles show fast --output json | jq .settings.chat
`;

const OPTIONS = {
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

async function list(io: CliIO, format: "text" | "json"): Promise<number> {
  const { loadProfileRegistry, profileFilePaths } = await import("../settings/profiles.ts");
  const registry = loadProfileRegistry(io.env, io.cwd ?? process.cwd());
  const defaultName = io.env.GEPPETTO_PROFILE ?? registry.defaultProfile?.name;
  const profiles = [...registry.profiles.values()].sort((left, right) => left.name.localeCompare(right.name));
  if (format === "json") {
    const rows = profiles.map((profile) => ({
      name: profile.name,
      file: profile.file,
      extends: profile.extends,
      ...(profile.description === undefined ? {} : { description: profile.description }),
      default: profile.name === defaultName,
    }));
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (profiles.length === 0) {
    const files = profileFilePaths(io.env, io.cwd ?? process.cwd()).join(" or ");
    io.stderr.write(`geppetto profiles: no profiles (looked in ${files})\n`);
    return 0;
  }
  const width = Math.max(...profiles.map((profile) => profile.name.length));
  for (const profile of profiles) {
    const mark = profile.name === defaultName ? "*" : " ";
    const parents = profile.extends.length > 0 ? ` (extends ${profile.extends.join(", ")})` : "";
    const description = profile.description ? `  ${profile.description}` : "";
    io.stdout.write(`${mark} ${profile.name.padEnd(width)}${description}${parents}  [${profile.file}]\n`);
  }
  return 0;
}

/** Runs the command. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help || positionals.length === 0) {
    io.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const format = oneOf("output", values.output, ["text", "json"] as const, "text");
  const [action, ...rest] = positionals;
  try {
    if (action === "list") {
      if (rest.length > 0) throw new UsageError(`list takes no arguments (got ${rest.join(" ")})`);
      return await list(io, format);
    }
    if (action === "show") {
      if (rest.length > 1) throw new UsageError(`show takes one profile name (got ${rest.join(" ")})`);
      const flags: Record<string, unknown> = rest[0] === undefined ? {} : { profile: rest[0] };
      const loaded = await loadCommandSettings(flags, io);
      const { formatSettings, settingsToJson } = await import("../settings/print.ts");
      if (!loaded.profile)
        io.stderr.write("geppetto profiles: no profile selected; showing the settings without one\n");
      io.stdout.write(format === "json" ? `${settingsToJson(loaded)}\n` : formatSettings(loaded));
      return 0;
    }
  } catch (error) {
    if (GeppettoError.is(error) && error.code === "invalid_settings") throw new UsageError(error.message);
    throw error;
  }
  throw new UsageError(`unknown subcommand "${action}" (use list or show)`);
}
