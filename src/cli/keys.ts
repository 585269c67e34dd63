/**
 * `geppetto keys`: where each provider's API key comes from (a config file, a profile, the environment, a flag),
 * never the key itself.
 */
import { listProviders } from "../provider-kit/registry.ts";
import { providerEnvironment } from "../settings/flags.ts";
import { describeSource, sourceAt } from "../settings/sources.ts";
import { parseListingCommand } from "./listing-command.ts";
import type { CliIO } from "./main.ts";

export const HELP = `Usage: geppetto keys [--profile NAME] [--output text|json]

For each provider, whether an API key is set and where it comes from (config file, profile, environment
variable or flag), the same way \`geppetto run\` finds it. Keys are never printed.

Examples:
  geppetto keys
  geppetto keys --profile work --output json
`;

/** One provider's key, as `keys` shows it. */
export interface KeyReport {
  provider: string;
  set: boolean;
  /** Where the key came from, when set. */
  source?: string;
  /** The environment variables it is read from. */
  variables: string[];
}

/** Runs the command. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const listing = await parseListingCommand("keys", argv, HELP, io);
  if (!listing) return 0;
  const { format, loaded } = listing;
  // Every provider of the registry that takes a key, by its settings key (`api.<key>.apiKey`).
  const providers = [
    ...new Set(
      listProviders().flatMap((provider) =>
        provider.apiKey.required || provider.apiKey.variables.length > 0 ? [provider.settingsKey] : [],
      ),
    ),
  ];
  const environment = providerEnvironment();
  const reports: KeyReport[] = providers.map((provider) => {
    const path = `api.${provider}.apiKey`;
    const key = (loaded.settings.api as Record<string, { apiKey?: unknown } | undefined> | undefined)?.[
      provider
    ]?.apiKey;
    const variables = [...(environment.find((entry) => entry.path === path)?.variables ?? [])];
    const source = sourceAt(loaded.sources, path);
    return {
      provider,
      set: typeof key === "string" && key !== "",
      ...(key && source ? { source: describeSource(source) } : {}),
      variables,
    };
  });
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...providers.map((provider) => provider.length));
  for (const report of reports) {
    const state = report.set
      ? `set, from ${report.source ?? "an unknown source"}`
      : `not set (${report.variables.join(" or ")}, --ai-api-key, or api.${report.provider}.apiKey in a config file)`;
    io.stdout.write(`${report.provider.padEnd(width)}  ${state}\n`);
  }
  return 0;
}
