/**
 * Where a setting came from, and the layer merge that keeps track of it.
 *
 * A layer is a partial settings object plus a way to say where each of its values came from. Layers merge lowest
 * first; a later layer replaces the leaves it sets (arrays and JSON schemas are leaves) and keeps the others.
 */
import { CallerError } from "../engine/errors.ts";

/**
 * The layers, lowest first (`code` is settings given directly to `createEngine`).
 *
 * @example
 * const lowest: LayerKind = "default";
 */
export type LayerKind = "default" | "config" | "profile" | "env" | "flag" | "code";

/**
 * Where one value came from.
 *
 * @example
 * const source: SettingSource = { layer: "config", file: "/home/ada/.config/geppetto/config.yaml", keyPath: "chat.engine" };
 */
export type SettingSource =
  | { layer: "default"; note?: string }
  | { layer: "config"; file: string; keyPath: string }
  | { layer: "profile"; profile: string; file: string; keyPath: string }
  | { layer: "env"; variable: string }
  | { layer: "flag"; flag: string }
  | { layer: "code" };

/** One layer of settings: its values, and the source of the value at a dotted path. */
export interface SettingsLayer {
  kind: LayerKind;
  /** Short description of the layer as a whole (`config file /x/config.yaml`). */
  label: string;
  values: Record<string, unknown>;
  sourceOf(path: string): SettingSource;
}

/**
 * A source as words, for messages and `--print-settings`.
 *
 * @example
 * describeSource({ layer: "env", variable: "OPENAI_API_KEY" }) // "environment variable OPENAI_API_KEY"
 */
export function describeSource(source: SettingSource): string {
  switch (source.layer) {
    case "default":
      return source.note ? `default (${source.note})` : "default";
    case "config":
      return `config file ${source.file} at ${source.keyPath}`;
    case "profile":
      return `profile "${source.profile}" in ${source.file} at ${source.keyPath}`;
    case "env":
      return `environment variable ${source.variable}`;
    case "flag":
      return `flag ${source.flag}`;
    case "code":
      return "settings given in code";
  }
}

/** Paths whose values are merged as a whole, never key by key. */
const LEAF_PATHS = new Set(["chat.structuredOutput.schema"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Calls `visit` for every leaf of `values` with its dotted path. */
export function forEachLeaf(
  values: Record<string, unknown>,
  visit: (path: string, value: unknown) => void,
  prefix = "",
): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && !LEAF_PATHS.has(path)) forEachLeaf(value, visit, path);
    else visit(path, value);
  }
}

/**
 * A copy without `null` values (an empty YAML key such as `chat:` means "not set").
 *
 * @example
 * withoutNulls({ chat: null, api: { openai: { apiKey: "k", baseURL: null } } }) // { api: { openai: { apiKey: "k" } } }
 */
export function withoutNulls(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined) continue;
    out[key] = isPlainObject(value) ? withoutNulls(value) : value;
  }
  return out;
}

/** Reads the value at a dotted path. */
export function getPath(values: Record<string, unknown>, path: string): unknown {
  let current: unknown = values;
  for (const key of path.split(".")) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Sets the value at a dotted path, creating objects on the way (mutates `values`). */
export function setPath(values: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let current = values;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (!isPlainObject(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys.at(-1)!] = value;
}

/** Merged values and the source of every leaf. */
export interface MergedLayers {
  values: Record<string, unknown>;
  sources: Map<string, SettingSource>;
}

/** Merges layers, lowest first, recording the source of every leaf. */
export function mergeLayers(layers: readonly SettingsLayer[]): MergedLayers {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, SettingSource>();
  for (const layer of layers) {
    forEachLeaf(layer.values, (path, value) => {
      setPath(values, path, structuredClone(value));
      sources.set(path, layer.sourceOf(path));
    });
  }
  return { values, sources };
}

/**
 * The source of a setting, or of the nearest setting above it (a schema's inner key, say).
 *
 * @example
 * sourceAt(sources, "chat.temperature") // { layer: "flag", flag: "--ai-temperature" }
 */
export function sourceAt(
  sources: ReadonlyMap<string, SettingSource>,
  path: string,
): SettingSource | undefined {
  for (let keys = path.split("."); keys.length > 0; keys = keys.slice(0, -1)) {
    const source = sources.get(keys.join("."));
    if (source) return source;
  }
  return undefined;
}

/**
 * A bad setting: a CallerError (`code: "invalid_settings"`) naming the setting and where it came from.
 *
 * @example
 * throw settingError("chat.apiType", 'unknown api type "foo"', { layer: "flag", flag: "--ai-api-type" });
 */
export function settingError(path: string, problem: string, source?: SettingSource): CallerError {
  const where = source ? ` (from ${describeSource(source)})` : "";
  return new CallerError(`setting ${path}: ${problem}${where}`, { code: "invalid_settings" });
}

/** MCP server environment values and HTTP headers (tokens, keys) are secrets whatever their names. */
const MCP_SECRET = /^mcp\.servers\.[^.]+\.(env|headers)\.[^.]+$/;

/** Setting names whose values are secrets (matched on the last segment of the path). */
const SECRET = /(apikey|api_key|secret|token|password)$/i;

/**
 * True when the setting at `path` holds a secret, which is never printed.
 *
 * @example
 * isSecretPath("api.openai.apiKey") // true
 */
export function isSecretPath(path: string): boolean {
  if (MCP_SECRET.test(path)) return true;
  const last = path.split(".").at(-1) ?? "";
  return SECRET.test(last) && !/tokens$/i.test(last);
}
