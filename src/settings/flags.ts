/**
 * The settings flags (`--ai-*`, `--thinking-budget`, `--reasoning-effort`, `--profile`) and their environment
 * variables. Each flag `--x-y` also reads `GEPPETTO_X_Y` from the environment; the providers' usual variables
 * (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`…) are read too, below the `GEPPETTO_*` ones.
 *
 * This module has no dependencies so commands can build their parsers from it cheaply.
 */

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
    help: "openai, openai-responses, claude (or anthropic), gemini, ollama",
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
 * The providers' usual variables, lower than the `GEPPETTO_*` ones. The first one set wins.
 *
 * @example
 * PROVIDER_ENV.find((entry) => entry.path === "api.gemini.apiKey")?.variables // ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
 */
export const PROVIDER_ENV: readonly { variables: string[]; path: string }[] = [
  { variables: ["OPENAI_API_KEY"], path: "api.openai.apiKey" },
  { variables: ["OPENAI_BASE_URL"], path: "api.openai.baseURL" },
  { variables: ["ANTHROPIC_API_KEY"], path: "api.claude.apiKey" },
  { variables: ["ANTHROPIC_BASE_URL"], path: "api.claude.baseURL" },
  { variables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"], path: "api.gemini.apiKey" },
  { variables: ["OLLAMA_HOST"], path: "api.ollama.baseURL" },
  { variables: ["OLLAMA_API_KEY"], path: "api.ollama.apiKey" },
];

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
    ...SETTINGS_FLAGS.map((spec) => [`--${spec.flag} ${spec.placeholder}`, spec.help]),
  ];
  const width = Math.max(...rows.map(([left]) => left!.length));
  return rows.map(([left, right]) => `  ${left!.padEnd(width)}  ${right}`).join("\n");
}
