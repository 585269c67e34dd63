/**
 * The settings flags (`--ai-*`, `--thinking-budget`, `--reasoning-effort`, `--profile`) and their environment
 * variables. Each flag `--x-y` also reads `GEPPETTO_X_Y` from the environment; the providers' usual variables
 * (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`…) are read too, below the `GEPPETTO_*` ones.
 *
 * This module depends only on the provider registry (descriptors, no engine code) so commands can build their
 * parsers from it cheaply.
 */
import { listProviders, providerNamesHelp } from "../provider-kit/registry.ts";

/** How a flag's text becomes a value (`"0.5"` → 0.5 for `number`; `@file.json` or JSON text for `json`). */
export type FlagValueKind = "string" | "number" | "integer" | "boolean" | "list" | "json";

/**
 * A settings flag. `path` may start with `api.$provider.`: the provider of the chosen api type.
 *
 * @example
 * const spec: SettingsFlag = { flag: "ai-engine", path: "chat.engine", kind: "string", placeholder: "MODEL", help: "The model" };
 */
export interface SettingsFlag {
  flag: string;
  path: string;
  kind: FlagValueKind;
  help: string;
  /** The value text shown in help (`NUMBER`…). */
  placeholder: string;
}

/**
 * Every settings flag, in the order help shows them.
 *
 * @example
 * SETTINGS_FLAGS.find((spec) => spec.flag === "ai-temperature")?.path // "chat.temperature"
 */
export const SETTINGS_FLAGS: readonly SettingsFlag[] = [
  {
    flag: "ai-api-type",
    path: "chat.apiType",
    kind: "string",
    placeholder: "TYPE",
    help: "The provider (see the list below)",
  },
  {
    flag: "ai-profile",
    path: "chat.profile",
    kind: "string",
    placeholder: "NAME",
    help: "An OpenAI-compatible server profile (deepseek, openrouter, vllm…), with --ai-api-type openai-compatible",
  },
  { flag: "ai-engine", path: "chat.engine", kind: "string", placeholder: "MODEL", help: "The model" },
  {
    flag: "ai-base-url",
    path: "api.$provider.baseURL",
    kind: "string",
    placeholder: "URL",
    help: "The provider's endpoint",
  },
  {
    flag: "ai-api-key",
    path: "api.$provider.apiKey",
    kind: "string",
    placeholder: "KEY",
    help: "The provider's API key (prefer the environment)",
  },
  {
    flag: "ai-temperature",
    path: "chat.temperature",
    kind: "number",
    placeholder: "0..2",
    help: "Temperature",
  },
  { flag: "ai-top-p", path: "chat.topP", kind: "number", placeholder: "0..1", help: "Nucleus sampling" },
  {
    flag: "ai-max-response-tokens",
    path: "chat.maxResponseTokens",
    kind: "integer",
    placeholder: "N",
    help: "Longest answer in tokens",
  },
  {
    flag: "ai-stop",
    path: "chat.stop",
    kind: "list",
    placeholder: "TEXT",
    help: "A stop sequence (repeatable)",
  },
  {
    flag: "ai-stream",
    path: "chat.stream",
    kind: "boolean",
    placeholder: "BOOL",
    help: "Stream (default true)",
  },
  {
    flag: "ai-structured-output-mode",
    path: "chat.structuredOutput.mode",
    kind: "string",
    placeholder: "MODE",
    help: "off or json_schema",
  },
  {
    flag: "ai-structured-output-name",
    path: "chat.structuredOutput.name",
    kind: "string",
    placeholder: "NAME",
    help: "Schema name",
  },
  {
    flag: "ai-structured-output-description",
    path: "chat.structuredOutput.description",
    kind: "string",
    placeholder: "TEXT",
    help: "Schema description",
  },
  {
    flag: "ai-structured-output-schema",
    path: "chat.structuredOutput.schema",
    kind: "json",
    placeholder: "JSON",
    help: "The JSON schema (JSON text, or @file.json)",
  },
  {
    flag: "ai-structured-output-strict",
    path: "chat.structuredOutput.strict",
    kind: "boolean",
    placeholder: "BOOL",
    help: "OpenAI strict mode (default true)",
  },
  {
    flag: "ai-structured-output-require-valid",
    path: "chat.structuredOutput.requireValid",
    kind: "boolean",
    placeholder: "BOOL",
    help: "Fail on an invalid schema or answer",
  },
  {
    flag: "thinking-budget",
    path: "inference.thinkingBudget",
    kind: "integer",
    placeholder: "TOKENS",
    help: "Tokens the model may think",
  },
  {
    flag: "reasoning-effort",
    path: "inference.reasoningEffort",
    kind: "string",
    placeholder: "EFFORT",
    help: "none, minimal, low, medium, high, xhigh",
  },
  {
    flag: "ai-timeout-ms",
    path: "client.timeoutMs",
    kind: "integer",
    placeholder: "MS",
    help: "Request timeout",
  },
  { flag: "ai-max-retries", path: "client.maxRetries", kind: "integer", placeholder: "N", help: "Retries" },
];

/**
 * The environment variable of a settings flag.
 *
 * @example
 * envVariableOf("ai-engine") // "GEPPETTO_AI_ENGINE"
 */
export function envVariableOf(flag: string): string {
  return `GEPPETTO_${flag.replaceAll("-", "_").toUpperCase()}`;
}

/**
 * The providers' usual variables (from each registered provider's descriptor), lower than the `GEPPETTO_*` ones.
 * The first one set wins.
 *
 * @example
 * providerEnvironment().find((entry) => entry.path === "api.gemini.apiKey")?.variables // ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
 */
export function providerEnvironment(): { variables: readonly string[]; path: string }[] {
  const entries: { variables: readonly string[]; path: string }[] = [];
  const seen = new Set<string>();
  for (const provider of listProviders()) {
    for (const [field, variables] of [
      ["apiKey", provider.apiKey.variables],
      ["baseURL", provider.baseURL.variables],
    ] as const) {
      const path = `api.${provider.settingsKey}.${field}`;
      if (variables.length === 0 || seen.has(path)) continue;
      seen.add(path);
      entries.push({ variables, path });
    }
  }
  return entries;
}

/**
 * The variable that selects a profile (below `--profile`).
 *
 * @example
 * loadSettings({ env: { [PROFILE_ENV]: "fast" } })
 */
export const PROFILE_ENV = "GEPPETTO_PROFILE";

/**
 * Options for node:util `parseArgs` covering every settings flag, plus `--profile`.
 *
 * @example
 * parseArgs({ args, options: { ...settingsParseOptions(), output: { type: "string" } } })
 */
export function settingsParseOptions(): Record<string, { type: "string"; multiple?: boolean }> {
  const options: Record<string, { type: "string"; multiple?: boolean }> = { profile: { type: "string" } };
  for (const spec of SETTINGS_FLAGS) {
    options[spec.flag] = spec.kind === "list" ? { type: "string", multiple: true } : { type: "string" };
  }
  return options;
}

/**
 * Help lines for the settings flags.
 *
 * @example
 * const help = `Settings:\n${settingsFlagsHelp()}`;
 */
export function settingsFlagsHelp(): string {
  const rows = [
    ["--profile NAME", `A profile from profiles.yaml (or ${PROFILE_ENV})`],
    ...SETTINGS_FLAGS.map((spec) => [
      `--${spec.flag} ${spec.placeholder}`,
      spec.flag === "ai-api-type" ? providerNamesHelp() : spec.help,
    ]),
  ];
  const width = Math.max(...rows.map(([left]) => left!.length));
  return rows.map(([left, right]) => `  ${left!.padEnd(width)}  ${right}`).join("\n");
}
