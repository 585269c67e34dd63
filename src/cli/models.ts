/**
 * `geppetto models`: the models geppetto knows per provider, with their context sizes and prices (US dollars per
 * million tokens), the default of each provider marked; prices set in the settings (`modelInfo`) are shown for
 * the configured model.
 */

import { defaultModelOf, knownModelPrices } from "../settings/layers.ts";
import type { LoadedSettings } from "../settings/load.ts";
import type { ModelPrices } from "../settings/schema.ts";
import { parseListingCommand } from "./listing-command.ts";
import type { CliIO } from "./main.ts";

export const HELP = `Usage: geppetto models [--output text|json]

The models geppetto knows, by api type (--ai-api-type): context window, prices in US dollars per million
tokens (input / cached input / output) where known, and * for the default model of each api type. Any other
model name works too (--ai-engine NAME); give its prices and context window in the settings (modelInfo).

Examples:
  geppetto models
  geppetto models --output json | jq '.[] | select(.apiType == "anthropic")'
`;

/** A known model. */
export interface KnownModel {
  apiType: string;
  model: string;
  contextWindow?: number;
  prices?: ModelPrices;
  isDefault: boolean;
}

/** Context windows (tokens) of the models geppetto knows, as the providers publish them. */
const CATALOG: readonly { apiType: string; model: string; contextWindow: number }[] = [
  { apiType: "openai", model: "gpt-4o-mini", contextWindow: 128_000 },
  { apiType: "openai", model: "gpt-4o", contextWindow: 128_000 },
  { apiType: "openai-responses", model: "o4-mini", contextWindow: 200_000 },
  { apiType: "openai-responses", model: "gpt-4o", contextWindow: 128_000 },
  { apiType: "anthropic", model: "claude-sonnet-4-20250514", contextWindow: 200_000 },
  { apiType: "gemini", model: "gemini-2.5-flash", contextWindow: 1_048_576 },
  { apiType: "ollama", model: "llama3.2", contextWindow: 131_072 },
];

/**
 * The known models, with the settings' own `modelInfo` for the configured model.
 *
 * @example
 * knownModels().find((entry) => entry.model === "gpt-4o-mini")?.contextWindow // 128000
 */
export function knownModels(configured?: {
  apiType?: string;
  model?: string;
  contextWindow?: number;
  prices?: ModelPrices;
}): KnownModel[] {
  const models: KnownModel[] = CATALOG.map(({ apiType, model, contextWindow }) => {
    const prices = knownModelPrices(model, apiType);
    return {
      apiType,
      model,
      contextWindow,
      ...(prices ? { prices } : {}),
      isDefault: defaultModelOf(apiType) === model,
    };
  });
  if (configured?.apiType && configured.model) {
    let entry = models.find(
      (known) => known.apiType === configured.apiType && known.model === configured.model,
    );
    if (!entry) {
      entry = { apiType: configured.apiType, model: configured.model, isDefault: false };
      models.push(entry);
    }
    if (configured.contextWindow !== undefined) entry.contextWindow = configured.contextWindow;
    if (configured.prices) entry.prices = configured.prices;
  }
  return models;
}

/**
 * The context window of the model the settings choose (their `modelInfo.contextWindow`, else the catalog's),
 * or undefined when unknown.
 *
 * @example
 * contextWindowOf(loaded.settings) // 128000 for openai gpt-4o-mini
 */
export function contextWindowOf(settings: LoadedSettings["settings"] | undefined): number | undefined {
  if (settings?.modelInfo?.contextWindow !== undefined) return settings.modelInfo.contextWindow;
  const apiType = settings?.chat?.apiType;
  if (apiType === undefined) return undefined;
  const model = settings?.chat?.engine ?? defaultModelOf(apiType);
  return CATALOG.find((entry) => entry.model === model)?.contextWindow;
}

function price(value: number | undefined): string {
  return value === undefined ? "—" : `$${value}`;
}

/** Runs the command. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const listing = await parseListingCommand("models", argv, HELP, io);
  if (!listing) return 0;
  const { format } = listing;
  const { settings } = listing.loaded;
  const info = settings.modelInfo;
  const models = knownModels({
    ...(settings.chat?.apiType ? { apiType: settings.chat.apiType } : {}),
    ...(settings.chat?.engine ? { model: settings.chat.engine } : {}),
    ...(info?.contextWindow === undefined ? {} : { contextWindow: info.contextWindow }),
    ...(info?.prices ? { prices: info.prices } : {}),
  });
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
    return 0;
  }
  const rows = [
    ["API TYPE", "MODEL", "CONTEXT", "INPUT", "CACHED", "OUTPUT"],
    ...models.map((entry) => [
      entry.apiType,
      `${entry.model}${entry.isDefault ? " *" : ""}`,
      entry.contextWindow === undefined ? "—" : entry.contextWindow.toLocaleString("en-US"),
      price(entry.prices?.inputPerMillion),
      price(entry.prices?.cachedInputPerMillion),
      price(entry.prices?.outputPerMillion),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    io.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  io.stdout.write("* the default model of its api type; prices in US dollars per million tokens\n");
  return 0;
}
