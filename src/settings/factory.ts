/**
 * The engine factory: settings in, the right provider engine out. The provider comes from the registry
 * (`geppetto/provider-kit`) and its engine is imported only when used, so loading settings (and starting the
 * CLI) stays fast.
 */
import type { Engine } from "../engine/engine.ts";
import { type InferenceConfig, mergeConfig } from "../engine/inference-config.ts";
import { type StructuredOutputConfig, structuredOutputProblems } from "../engine/structured-output.ts";
import { missingApiKeyError } from "../provider-kit/api-key.ts";
import type { ProviderDescriptor } from "../provider-kit/descriptor.ts";
import { providerNamesHelp, requireProvider } from "../provider-kit/registry.ts";
import type { ClientOptions, ProviderEngineOptions } from "../providers/options.ts";
import { withCost } from "./cost.ts";
import { type LoadedSettings, parseSettings } from "./load.ts";
import type { ApiType, InferenceSettings } from "./schema.ts";
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
): {
  apiType: ApiType;
  descriptor: ProviderDescriptor;
  options: ProviderEngineOptions & Record<string, unknown>;
} {
  const { settings } = loaded;
  const sourceOf = (path: string) => sourceAt(loaded.sources, path);
  const apiType = settings.chat?.apiType;
  if (!apiType) {
    throw settingError(
      "chat.apiType",
      `no provider chosen: set --ai-api-type, GEPPETTO_AI_API_TYPE or chat.apiType (${providerNamesHelp()})`,
    );
  }
  const descriptor = requireProvider(apiType);
  const provider = descriptor.settingsKey;
  const endpoint = settings.api?.[provider] ?? {};
  if (!endpoint.apiKey && descriptor.apiKey.required && !isLoopback(endpoint.baseURL)) {
    const apiTypeSource = sourceOf("chat.apiType");
    throw settingError(`api.${provider}.apiKey`, missingApiKeyError(descriptor).message, apiTypeSource);
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
  const block = descriptor.config ? settings[descriptor.config.key] : undefined;
  if (descriptor.config && block !== undefined) providerSpecific[descriptor.config.key] = block;
  return {
    apiType: descriptor.id,
    descriptor,
    options: {
      model: chat.engine ?? descriptor.defaultModel,
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
 * const engine = await createEngine({ chat: { apiType: "anthropic", engine: "claude-sonnet-4-20250514" }, api: { claude: { apiKey } } });
 */
export async function createEngine(
  settings: LoadedSettings | InferenceSettings,
  options: CreateEngineOptions = {},
): Promise<Engine> {
  const loaded: LoadedSettings = isLoaded(settings) ? settings : fromCode(settings);
  const { descriptor, options: engineOptions } = engineOptionsFromSettings(loaded, options);
  const factory = await descriptor.load();
  const engine = factory(engineOptions);
  const prices = loaded.settings.modelInfo?.prices;
  return prices ? withCost(engine, prices) : engine;
}
