/**
 * Loading settings: defaults < config files < profile < environment < flags, each value with its source.
 */
import type { z } from "zod";
import { findProvider, listProviders } from "../provider-kit/registry.ts";
import {
  configFileLayer,
  configFilePaths,
  defaultModelOf,
  defaultsLayer,
  environmentLayer,
  flagsLayer,
  knownModelPrices,
  type SettingsEnv,
} from "./layers.ts";
import { loadProfileRegistry, profileChain, profileLayers, selectProfile } from "./profiles.ts";
import { quickParseSettings } from "./quick-check.ts";
import { type ApiType, type InferenceSettings, inferenceSettingsSchema, providerOf } from "./schema.ts";
import { redactURL, withSelfRedactingSecrets } from "./secrets.ts";
import {
  getPath,
  isSecretPath,
  type MergedLayers,
  mergeLayers,
  type SettingSource,
  type SettingsLayer,
  setPath,
  settingError,
  sourceAt,
} from "./sources.ts";

/**
 * Where to load settings from. Everything is injectable so tests never read the developer's files.
 *
 * @example
 * loadSettings({ env: { XDG_CONFIG_HOME: tempDir }, cwd: tempDir, flags: { "ai-engine": "gpt-4o" } })
 */
export interface LoadSettingsOptions {
  /** Default `process.env`. */
  env?: SettingsEnv;
  /** The folder `./.geppetto.yaml` and `./.geppetto-profiles.yaml` are read from. Default `process.cwd()`. */
  cwd?: string;
  /** Parsed command-line values (`{ "ai-engine": "gpt-4o", profile: "fast" }`), as parseArgs returns them. */
  flags?: Record<string, unknown>;
}

/**
 * Settings with the source of every value.
 *
 * @example
 * const loaded = loadSettings();
 * describeSource(loaded.sources.get("chat.engine")!) // e.g. "profile \"fast\" in ~/.config/geppetto/profiles.yaml at profiles.fast.chat.engine"
 */
export interface LoadedSettings {
  settings: InferenceSettings;
  /** Dotted path (`chat.temperature`) → where its value came from. */
  sources: ReadonlyMap<string, SettingSource>;
  /** The profile in force, if any, and the profiles it stacks on (base first). */
  profile?: { name: string; selectedBy: string; chain: string[] };
  /** The config and profile files that were read. */
  files: string[];
}

function describeValue(value: unknown, path: string): string {
  if (isSecretPath(path)) return "";
  if (value === undefined) return "";
  // Under `api` only a URL is shown, without its credentials: anything else there may be a key put in the
  // wrong place (`api: {openai: sk-…}`).
  if (path === "api" || path.startsWith("api.") || path.startsWith("store")) {
    if (typeof value !== "string" || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return "";
    value = redactURL(value);
  }
  const text = JSON.stringify(value);
  return ` (got ${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

/** The keys the schema allows in the object at `path` (empty when unknown). */
function knownKeys(path: string): string[] {
  let schema: unknown = inferenceSettingsSchema();
  for (const key of path ? path.split(".") : []) {
    schema = shapeOf(schema)?.[key];
  }
  return Object.keys(shapeOf(schema) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let current = schema as { shape?: Record<string, unknown>; unwrap?: () => unknown } | undefined;
  while (current && !current.shape && typeof current.unwrap === "function") {
    current = current.unwrap() as typeof current;
  }
  return current?.shape;
}

function editDistance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row++) {
    const current = [row];
    for (let column = 1; column <= right.length; column++) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      current[column] = Math.min(
        previous[column]! + 1,
        current[column - 1]! + 1,
        previous[column - 1]! + cost,
      );
    }
    previous = current;
  }
  return previous[right.length]!;
}

/** The known key a misspelled or snake_case/kebab-case key most likely meant. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const normalized = key.replace(/[-_](\w)/g, (_, letter: string) => letter.toUpperCase()).toLowerCase();
  const exact = known.find((candidate) => candidate.toLowerCase() === normalized);
  if (exact) return exact;
  const scored = known
    .map((candidate) => ({ candidate, distance: editDistance(candidate.toLowerCase(), normalized) }))
    .sort((left, right) => left.distance - right.distance)[0];
  return scored && scored.distance <= Math.max(1, Math.floor(key.length / 4)) ? scored.candidate : undefined;
}

function issueToError(
  issue: z.core.$ZodIssue,
  values: Record<string, unknown>,
  sourceOf: (path: string) => SettingSource | undefined,
) {
  const base = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const path = base ? `${base}.${key}` : key;
    const suggestion = closestKey(key, knownKeys(base));
    const hint = suggestion ? ` (did you mean ${base ? `${base}.` : ""}${suggestion}?)` : "";
    return settingError(path, `unknown setting${hint}`, sourceOf(path));
  }
  return settingError(base, `${issue.message}${describeValue(getPath(values, base), base)}`, sourceOf(base));
}

/**
 * Checks one layer on its own, so a bad value is reported with the layer it came from. The usual shapes are
 * checked without zod (quick-check.ts); zod decides the rest and words every error.
 */
export function validateLayer(layer: SettingsLayer): void {
  if (quickParseSettings(layer.values)) return;
  const result = inferenceSettingsSchema().safeParse(layer.values);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  throw issueToError(issue, layer.values, (path) => layer.sourceOf(path));
}

/**
 * Checks raw settings (from code, or a merge) and returns them typed and normalized.
 *
 * @example
 * parseSettings({ chat: { apiType: "claude" } }).chat?.apiType // "anthropic"
 */
export function parseSettings(
  values: Record<string, unknown>,
  sources: ReadonlyMap<string, SettingSource> = new Map(),
): InferenceSettings {
  const quick = quickParseSettings(values) as InferenceSettings | undefined;
  if (quick) return withSelfRedactingSecrets(quick);
  const result = inferenceSettingsSchema().safeParse(values);
  if (result.success) return withSelfRedactingSecrets(result.data);
  throw issueToError(result.error.issues[0]!, values, (path) => sourceAt(sources, path));
}

function apiTypeOf(values: Record<string, unknown>): ApiType | undefined {
  const profile = getPath(values, "chat.profile");
  if (typeof profile === "string") return findProvider(profile)?.id ?? profile;
  const raw = getPath(values, "chat.apiType");
  if (typeof raw !== "string") return undefined;
  return findProvider(raw)?.id ?? raw;
}

/**
 * `chat.profile` (`--ai-profile deepseek`) picks an OpenAI-compatible server profile: a registered provider
 * speaking the OpenAI Chat wire. It becomes the api type; an api type set beside it must be `openai-compatible`
 * (or `openai`, or the profile itself).
 */
function applyServerProfile(merged: MergedLayers): void {
  const name = getPath(merged.values, "chat.profile");
  if (typeof name !== "string") return;
  const profile = findProvider(name);
  const isProfile = (each: { protocol: { name: string }; id: string }) =>
    each.protocol.name === "openai-chat" && each.id !== "openai";
  const profiles = listProviders().filter(isProfile);
  if (!profile || !isProfile(profile)) {
    const known = profiles.map((each) => each.id).join(", ");
    const problem = `${JSON.stringify(name)} is not an OpenAI-compatible profile (known: ${known})`;
    throw settingError("chat.profile", problem, sourceAt(merged.sources, "chat.profile"));
  }
  const apiType = getPath(merged.values, "chat.apiType");
  const given = typeof apiType === "string" ? findProvider(apiType)?.id : undefined;
  if (typeof apiType === "string" && given !== "openai" && given !== profile.id) {
    const problem = `${JSON.stringify(apiType)} has no profiles: use --ai-api-type openai-compatible with --ai-profile ${profile.id}`;
    throw settingError("chat.apiType", problem, sourceAt(merged.sources, "chat.apiType"));
  }
  setPath(merged.values, "chat.apiType", profile.id);
  const source = sourceAt(merged.sources, "chat.profile");
  if (source) merged.sources.set("chat.apiType", source);
}

function isKnownApiType(value: ApiType | undefined): value is ApiType {
  return value !== undefined && findProvider(value) !== undefined;
}

/**
 * Loads settings from every layer and checks them. Bad input is a CallerError naming the setting, the layer and
 * (for files) the file and key path.
 *
 * @example
 * const loaded = loadSettings({ env: process.env, cwd: process.cwd(), flags: { "ai-api-type": "openai" } });
 * loaded.settings.chat?.apiType // "openai"
 * describeSource(loaded.sources.get("chat.apiType")!) // "flag --ai-api-type"
 */
export function loadSettings(options: LoadSettingsOptions = {}): LoadedSettings {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const files: string[] = [];

  const fixedLayers: SettingsLayer[] = [defaultsLayer()];
  for (const file of configFilePaths(env, cwd)) {
    const layer = configFileLayer(file);
    if (!layer) continue;
    files.push(file);
    fixedLayers.push(layer);
  }
  const registry = loadProfileRegistry(env, cwd);
  files.push(...registry.files);
  const selection = selectProfile(
    registry,
    typeof flags.profile === "string" ? flags.profile : undefined,
    env,
  );
  const chain = selection ? profileChain(registry, selection) : [];
  fixedLayers.push(...profileLayers(chain));

  // `--ai-api-key` and friends apply to the provider of the final api type, which any layer may set.
  const firstGuess = [...fixedLayers, environmentLayer(env, "openai", cwd), flagsLayer(flags, "openai", cwd)];
  const guessedType = apiTypeOf(mergeLayers(firstGuess).values);
  const provider = isKnownApiType(guessedType) ? providerOf(guessedType) : "openai";
  const layers = [...fixedLayers, environmentLayer(env, provider, cwd), flagsLayer(flags, provider, cwd)];
  for (const layer of layers) validateLayer(layer);

  const merged: MergedLayers = mergeLayers(layers);
  applyServerProfile(merged);
  const apiType = apiTypeOf(merged.values);
  if (isKnownApiType(apiType) && getPath(merged.values, "chat.engine") === undefined) {
    setPath(merged.values, "chat.engine", defaultModelOf(apiType));
    merged.sources.set("chat.engine", { layer: "default", note: `the default model of api type ${apiType}` });
  }
  const model = getPath(merged.values, "chat.engine");
  const knownPrices = typeof model === "string" ? knownModelPrices(model, apiType) : undefined;
  if (isKnownApiType(apiType) && knownPrices && getPath(merged.values, "modelInfo.prices") === undefined) {
    for (const [key, value] of Object.entries(knownPrices)) {
      setPath(merged.values, `modelInfo.prices.${key}`, value);
      merged.sources.set(`modelInfo.prices.${key}`, {
        layer: "default",
        note: `built-in prices of ${model}`,
      });
    }
  }
  const settings = parseSettings(merged.values, merged.sources);
  return {
    settings,
    sources: merged.sources,
    ...(selection ? { profile: { ...selection, chain: chain.map((profile) => profile.name) } } : {}),
    files,
  };
}

/**
 * True when a provider is configured (an api type is set in some layer). Without one the CLI runs on the local
 * provider server or the embedded default.
 *
 * @example
 * isProviderConfigured(loadSettings({ flags: { "ai-api-type": "ollama" } })) // true
 */
export function isProviderConfigured(loaded: LoadedSettings): boolean {
  return loaded.settings.chat?.apiType !== undefined;
}
