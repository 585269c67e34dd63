/**
 * The layers that are not profiles: defaults, config files, the environment and command-line flags.
 */
import { isAbsolute, join, resolve } from "node:path";
import { CallerError } from "../engine/errors.ts";
import { findProvider, listProviders } from "../provider-kit/registry.ts";
import { loadYaml } from "../turns/lazy-modules.ts";
import { envVariableOf, type FlagValueKind, providerEnvironment, SETTINGS_FLAGS } from "./flags.ts";
import type { ModelPrices, ProviderName } from "./schema.ts";
import {
  type SettingSource,
  type SettingsLayer,
  setPath,
  settingError,
  sourceAt,
  withoutNulls,
} from "./sources.ts";

/** `node:fs` as Node holds it: an `import` of it would load its promise API and streams (about 34 of Node's modules). */
const fs = process.getBuiltinModule("node:fs");

/**
 * The environment settings are read from.
 *
 * @example
 * const env: SettingsEnv = { XDG_CONFIG_HOME: "/tmp/config", OPENAI_API_KEY: "sk-…" };
 */
export type SettingsEnv = Record<string, string | undefined>;

/**
 * The default model of an api type (its descriptor's `defaultModel`), used when `chat.engine` is not set.
 *
 * @example
 * defaultModelOf("ollama") // "llama3.2"
 */
export function defaultModelOf(apiType: string): string | undefined {
  return findProvider(apiType)?.defaultModel;
}

/**
 * Built-in prices of a model (US dollars per million tokens, as published by the providers; each provider's
 * descriptor lists its own), used when `modelInfo.prices` is not set, so results carry a cost out of the box.
 * `--print-settings` shows when they apply; set `modelInfo.prices` to override them. The api type's own
 * provider is asked first.
 *
 * @example
 * knownModelPrices("gpt-4o-mini")?.inputPerMillion // 0.15
 */
export function knownModelPrices(model: string, apiType?: string): ModelPrices | undefined {
  const own = apiType === undefined ? undefined : findProvider(apiType);
  if (own && Object.hasOwn(own.prices, model)) return own.prices[model];
  for (const provider of listProviders()) {
    if (Object.hasOwn(provider.prices, model)) return provider.prices[model];
  }
  return undefined;
}

/** The built-in defaults: the lowest layer. */
export function defaultsLayer(): SettingsLayer {
  return {
    kind: "default",
    label: "defaults",
    values: { chat: { stream: true } },
    sourceOf: () => ({ layer: "default" }),
  };
}

/**
 * Geppetto's user config folder: `$XDG_CONFIG_HOME/geppetto`, or `~/.config/geppetto`.
 *
 * @example
 * configFolder({ HOME: "/home/ada" }) // "/home/ada/.config/geppetto"
 */
export function configFolder(env: SettingsEnv): string | undefined {
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "geppetto");
  const home = env.HOME ?? env.USERPROFILE;
  return home ? join(home, ".config", "geppetto") : undefined;
}

/**
 * The config files, lowest first: the user's, then the project's (`./.geppetto.yaml`).
 *
 * @example
 * configFilePaths({ XDG_CONFIG_HOME: "/c" }, "/work") // ["/c/geppetto/config.yaml", "/work/.geppetto.yaml"]
 */
export function configFilePaths(env: SettingsEnv, cwd: string): string[] {
  const folder = configFolder(env);
  return [...(folder ? [join(folder, "config.yaml")] : []), join(cwd, ".geppetto.yaml")];
}

/**
 * Reads a YAML file that must hold a mapping; `undefined` when the file does not exist. Malformed YAML is a
 * CallerError naming the file and the line.
 */
export function readYamlMapping(file: string, what: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, "utf8");
  const document = loadYaml().parseDocument(text, { prettyErrors: true });
  const problem = document.errors[0];
  if (problem) {
    const line = problem.linePos?.[0];
    const where = line ? ` line ${line.line}, column ${line.col}` : "";
    throw new CallerError(`${what} ${file}:${where} malformed YAML: ${problem.message.split("\n")[0]}`, {
      code: "invalid_settings",
    });
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new CallerError(`${what} ${file}: expected a mapping of settings at the top level`, {
      code: "invalid_settings",
    });
  }
  return value as Record<string, unknown>;
}

/** The layer of one config file, or `undefined` when it does not exist. */
export function configFileLayer(file: string): SettingsLayer | undefined {
  const values = readYamlMapping(file, "config file");
  if (!values) return undefined;
  return {
    kind: "config",
    label: `config file ${file}`,
    values: withoutNulls(values),
    sourceOf: (path) => ({ layer: "config", file, keyPath: path }),
  };
}

/** Turns a flag's or variable's text into a value of `kind`. */
export function parseSettingText(
  kind: FlagValueKind,
  text: string | string[],
  path: string,
  source: SettingSource,
  cwd: string,
): unknown {
  if (Array.isArray(text)) {
    if (kind === "list") return text;
    text = text.at(-1) ?? "";
  }
  const fail = (problem: string) => settingError(path, `${problem} (got ${JSON.stringify(text)})`, source);
  switch (kind) {
    case "string":
      return text;
    case "number":
    case "integer": {
      const number = text.trim() === "" ? Number.NaN : Number(text);
      if (!Number.isFinite(number)) throw fail("expected a number");
      if (kind === "integer" && !Number.isInteger(number)) throw fail("expected a whole number");
      return number;
    }
    case "boolean": {
      const lower = text.trim().toLowerCase();
      if (["true", "1", "yes", "on"].includes(lower)) return true;
      if (["false", "0", "no", "off"].includes(lower)) return false;
      throw fail("expected true or false");
    }
    case "list": {
      if (!text.trim().startsWith("[")) return [text];
      const list: unknown = parseJson(text, fail);
      if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) {
        throw fail("expected a JSON array of strings");
      }
      return list;
    }
    case "json": {
      if (text.startsWith("@")) {
        const file = isAbsolute(text.slice(1)) ? text.slice(1) : resolve(cwd, text.slice(1));
        if (!fs.existsSync(file)) throw fail(`no such file ${file}`);
        return parseJson(fs.readFileSync(file, "utf8"), fail);
      }
      return parseJson(text, fail);
    }
  }
}

function parseJson(text: string, fail: (problem: string) => Error): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail(`not valid JSON: ${(error as Error).message}`);
  }
}

function substituteProvider(path: string, provider: ProviderName): string {
  return path.replace("$provider", provider);
}

/** `OLLAMA_HOST` may lack the scheme (http) and the port (11434), as Ollama itself reads it. */
function normalizeProviderValue(variable: string, text: string): string {
  if (variable !== "OLLAMA_HOST" || /^[a-z]+:\/\//i.test(text.trim())) return text;
  const host = text.trim();
  return /:\d+$/.test(host) ? `http://${host}` : `http://${host}:11434`;
}

/** The environment layer: the providers' usual variables, then `GEPPETTO_*` above them. */
export function environmentLayer(env: SettingsEnv, provider: ProviderName, cwd: string): SettingsLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, SettingSource>();
  for (const { variables, path } of providerEnvironment()) {
    const variable = variables.find((name) => env[name]);
    if (!variable) continue;
    setPath(values, path, normalizeProviderValue(variable, env[variable]!));
    sources.set(path, { layer: "env", variable });
  }
  for (const spec of SETTINGS_FLAGS) {
    const variable = envVariableOf(spec.flag);
    const text = env[variable];
    if (text === undefined || text === "") continue;
    const path = substituteProvider(spec.path, provider);
    const source: SettingSource = { layer: "env", variable };
    setPath(values, path, parseSettingText(spec.kind, text, path, source, cwd));
    sources.set(path, source);
  }
  return {
    kind: "env",
    label: "environment",
    values,
    sourceOf: (path) => sourceAt(sources, path) ?? { layer: "env", variable: "?" },
  };
}

/** The flags layer, from parsed `--ai-*` values (as parseArgs returns them). */
export function flagsLayer(
  flags: Record<string, unknown>,
  provider: ProviderName,
  cwd: string,
): SettingsLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, SettingSource>();
  for (const spec of SETTINGS_FLAGS) {
    const text = flags[spec.flag];
    if (text === undefined) continue;
    if (typeof text !== "string" && !Array.isArray(text)) continue;
    const path = substituteProvider(spec.path, provider);
    const source: SettingSource = { layer: "flag", flag: `--${spec.flag}` };
    setPath(values, path, parseSettingText(spec.kind, text as string | string[], path, source, cwd));
    sources.set(path, source);
  }
  return {
    kind: "flag",
    label: "flags",
    values,
    sourceOf: (path) => sourceAt(sources, path) ?? { layer: "flag", flag: "?" },
  };
}
