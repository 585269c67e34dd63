/**
 * The engine factory: settings in, the right provider engine out. Providers are imported only when used, so
 * loading settings (and starting the CLI) stays fast.
 */
import type { Engine } from "../engine/engine.ts";
import { type InferenceConfig, mergeConfig } from "../engine/inference-config.ts";
import { type StructuredOutputConfig, structuredOutputProblems } from "../engine/structured-output.ts";
import type { ClientOptions, ProviderEngineOptions } from "../providers/options.ts";
import { withCost } from "./cost.ts";
import { DEFAULT_MODELS } from "./layers.ts";
import { type LoadedSettings, parseSettings } from "./load.ts";
import { API_TYPES, type ApiType, type InferenceSettings, providerOf } from "./schema.ts";
import { forEachLeaf, type SettingSource, settingError, sourceAt } from "./sources.ts";

/**
 * Extra options for {@link createEngine}, mostly for tests.
 *
 * @example
 * await createEngine(settings, { fetch: recordingFetch, headers: { "x-trace": "1" } });
 */
export interface CreateEngineOptions {
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** The environment engines may read fallbacks from; settings already hold the environment layer. */
  env?: Record<string, string | undefined>;
}

/** A provider factory: ProviderEngineOptions plus its own fields. */
type EngineFactory = (options: ProviderEngineOptions & Record<string, unknown>) => Engine;

/** How each api type's engine is loaded: on demand, so only the provider in use is imported. */
const LOADERS: Record<ApiType, () => Promise<EngineFactory>> = {
  openai: async () => (await import("../providers/openai/index.ts")).createOpenAIChatEngine as EngineFactory,
  "openai-responses": async () =>
    (await import("../providers/openai-responses/index.ts")).createOpenAIResponsesEngine as EngineFactory,
  claude: async () => (await import("../providers/anthropic/index.ts")).createClaudeEngine as EngineFactory,
  gemini: async () => (await import("../providers/gemini/index.ts")).createGeminiEngine as EngineFactory,
  ollama: async () => (await import("../providers/ollama/index.ts")).createOllamaEngine as EngineFactory,
};

/** The variable people usually keep each provider's key in, for messages. */
const KEY_VARIABLE: Record<string, string> = {
  openai: "OPENAI_API_KEY",
  claude: "ANTHROPIC_API_KEY",
  gemini: "GEMINI_API_KEY",
};

function isLoopback(baseURL: string | undefined): boolean {
  if (!baseURL) return false;
  try {
    return ["127.0.0.1", "localhost", "[::1]", "::1"].includes(new URL(baseURL).hostname);
  } catch {
    return false;
  }
}

function structuredOutputOf(
  settings: InferenceSettings,
  sourceOf: (path: string) => SettingSource | undefined,
): StructuredOutputConfig | undefined {
  const configured = settings.chat?.structuredOutput;
  if (!configured) return undefined;
  const mode = configured.mode ?? (configured.schema ? "json_schema" : "off");
  if (mode === "off") return undefined;
  const path = "chat.structuredOutput";
  if (!configured.schema) {
    throw settingError(`${path}.schema`, "required when the mode is json_schema", sourceOf(`${path}.mode`));
  }
  const config: StructuredOutputConfig = {
    mode: "json_schema",
    name: configured.name ?? "output",
    schema: configured.schema,
    ...(configured.description === undefined ? {} : { description: configured.description }),
    ...(configured.strict === undefined ? {} : { strict: configured.strict }),
    ...(configured.requireValid === undefined ? {} : { requireValid: configured.requireValid }),
  };
  const problems = structuredOutputProblems(config);
  if (problems.length > 0 && config.requireValid) {
    throw settingError(path, problems.join("; "), sourceOf(`${path}.schema`));
  }
  return config;
}

/**
 * Checks settings and turns them into the options a provider factory takes. Exposed for tests and for callers
 * that build engines themselves.
 *
 * @example
 * const { apiType, options } = engineOptionsFromSettings(loadSettings({ flags: { "ai-api-type": "ollama" } }));
 * // apiType "ollama", options.model "llama3.2"
 */
export function engineOptionsFromSettings(
  loaded: LoadedSettings,
  options: CreateEngineOptions = {},
): { apiType: ApiType; options: ProviderEngineOptions & Record<string, unknown> } {
  const { settings } = loaded;
  const sourceOf = (path: string) => sourceAt(loaded.sources, path);
  const apiType = settings.chat?.apiType;
  if (!apiType) {
    throw settingError(
      "chat.apiType",
      `no provider chosen: set --ai-api-type, GEPPETTO_AI_API_TYPE or chat.apiType (${API_TYPES.join(", ")})`,
    );
  }
  const provider = providerOf(apiType);
  const endpoint = settings.api?.[provider] ?? {};
  if (!endpoint.apiKey && provider !== "ollama" && !isLoopback(endpoint.baseURL)) {
    const apiTypeSource = sourceOf("chat.apiType");
    throw settingError(
      `api.${provider}.apiKey`,
      `missing: api type ${apiType} needs a key; set ${KEY_VARIABLE[provider]}, --ai-api-key or api.${provider}.apiKey in a config file or profile`,
      apiTypeSource,
    );
  }
  const chat = settings.chat ?? {};
  const chatInference: InferenceConfig = {
    ...(chat.temperature === undefined ? {} : { temperature: chat.temperature }),
    ...(chat.topP === undefined ? {} : { topP: chat.topP }),
    ...(chat.maxResponseTokens === undefined ? {} : { maxResponseTokens: chat.maxResponseTokens }),
    ...(chat.stop === undefined ? {} : { stop: chat.stop }),
  };
  const inference = mergeConfig<InferenceConfig>(settings.inference, chatInference);
  const structuredOutput = structuredOutputOf(settings, sourceOf);
  const client = { ...settings.client } as ClientOptions;
  const providerSpecific: Record<string, unknown> = {};
  if (settings.openai && provider === "openai") providerSpecific.openai = settings.openai;
  if (settings.claude && provider === "claude") providerSpecific.claude = settings.claude;
  if (settings.gemini && provider === "gemini") providerSpecific.gemini = settings.gemini;
  if (settings.ollama && provider === "ollama") providerSpecific.ollama = settings.ollama;
  return {
    apiType,
    options: {
      model: chat.engine ?? DEFAULT_MODELS[apiType]!,
      ...(endpoint.apiKey ? { apiKey: endpoint.apiKey } : {}),
      ...(endpoint.baseURL ? { baseURL: endpoint.baseURL } : {}),
      ...(Object.keys(client).length > 0 ? { client } : {}),
      stream: chat.stream ?? true,
      ...(Object.keys(inference).length > 0 ? { inference } : {}),
      ...(structuredOutput ? { structuredOutput } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      env: options.env ?? {},
      ...providerSpecific,
    },
  };
}

/** Settings given in code: checked, every value's source is "settings given in code". */
function fromCode(settings: InferenceSettings): LoadedSettings {
  const values = settings as Record<string, unknown>;
  const sources = new Map<string, SettingSource>();
  forEachLeaf(values, (path) => sources.set(path, { layer: "code" }));
  return { settings: parseSettings(values, sources), sources, files: [] };
}

function isLoaded(value: LoadedSettings | InferenceSettings): value is LoadedSettings {
  return "settings" in value && "sources" in value && value.sources instanceof Map;
}

/**
 * Builds the engine the settings describe, loading only that provider's code. When `modelInfo.prices` is set,
 * every result carries its cost. Bad settings are one CallerError naming the setting and where it came from.
 *
 * @example
 * const engine = await createEngine(loadSettings({ flags: { "ai-api-type": "openai" } }));
 * // or, in code:
 * const engine = await createEngine({ chat: { apiType: "claude", engine: "claude-sonnet-4-20250514" }, api: { claude: { apiKey } } });
 */
export async function createEngine(
  settings: LoadedSettings | InferenceSettings,
  options: CreateEngineOptions = {},
): Promise<Engine> {
  const loaded: LoadedSettings = isLoaded(settings) ? settings : fromCode(settings);
  const { apiType, options: engineOptions } = engineOptionsFromSettings(loaded, options);
  const factory = await LOADERS[apiType]();
  const engine = factory(engineOptions);
  const prices = loaded.settings.modelInfo?.prices;
  return prices ? withCost(engine, prices) : engine;
}
