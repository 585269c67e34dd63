/**
 * The settings schema: one zod schema for everything an engine needs (which provider, which model, keys, sampling,
 * structured output, client limits, engine-level inference defaults and the model's prices).
 *
 * The provider parts come from the provider registry (`geppetto/provider-kit`): the api types (ids and aliases),
 * the `api.<settingsKey>` entries and each provider's own settings block. The schema is built on first use and
 * again when the registry changes, so importing settings does not load zod.
 *
 * Every field is optional, so each layer (a config file, a profile, the environment, the flags) is checked against
 * this same schema on its own, and a bad value is reported with the layer it came from. Objects are strict: a
 * misspelled key is an error, not a silently ignored setting.
 */
import type * as Zod from "zod";
import {
  type ClaudeInferenceConfig,
  engineConfigSchemas,
  type InferenceConfig,
  type OpenAIInferenceConfig,
} from "../engine/inference-config.ts";
import { mcpSettingsSchema } from "../mcp/settings.ts";
import type { ModelPrices } from "../provider-kit/descriptor.ts";
import { findProvider, listProviders, providerNamesHelp, registryVersion } from "../provider-kit/registry.ts";
import type { GeminiInferenceConfig } from "../providers/gemini/descriptor.ts";
import type { OllamaInferenceConfig } from "../providers/ollama/descriptor.ts";
import { loadZod } from "../turns/lazy-modules.ts";

export type { ModelPrices };

/**
 * A provider protocol: the id of a registered provider (`openai`, `anthropic`, `deepseek`…).
 *
 * @example
 * const apiType: ApiType = "openai-responses";
 */
export type ApiType = string;

/**
 * The ids of the registered providers, the values `chat.apiType` takes (aliases such as `claude` are accepted and
 * stored as the id).
 *
 * @example
 * apiTypes().includes("gemini") // true
 */
export function apiTypes(): string[] {
  return listProviders().map((provider) => provider.id);
}

/**
 * Where the keys and base URLs of a provider live in `api` (its descriptor's `settingsKey`).
 *
 * @example
 * const key: ProviderName = providerOf("openai-responses"); // "openai"
 */
export type ProviderName = string;

/**
 * The `api` entry an api type reads its key and base URL from (`openai-responses` shares `openai`, `anthropic`
 * reads `claude`).
 *
 * @example
 * providerOf("openai-responses") // "openai"
 */
export function providerOf(apiType: ApiType): ProviderName {
  return findProvider(apiType)?.settingsKey ?? apiType;
}

/** An `api.<provider>` entry. */
export interface ProviderEndpointSettings {
  /** Secret: redacted wherever settings are printed. */
  apiKey?: string;
  baseURL?: string;
}

/** Structured output as configured (the `--ai-structured-output-*` flags). */
export interface StructuredOutputSettings {
  /** `off` (default, unless a schema is given) or `json_schema`. */
  mode?: "off" | "json_schema";
  name?: string;
  description?: string;
  /** A JSON schema object (a JSON string is accepted and parsed). */
  schema?: Record<string, unknown>;
  strict?: boolean;
  requireValid?: boolean;
}

/**
 * Everything an engine needs, as one value. Every field is optional.
 *
 * @example
 * const settings: InferenceSettings = { chat: { apiType: "openai", engine: "gpt-4o-mini" }, api: { openai: { apiKey } } };
 * const engine = await createEngine(settings);
 */
export interface InferenceSettings {
  /** Keys and base URLs, per provider (`api.openai`, `api.claude`, `api.deepseek`…). */
  api?: Record<string, ProviderEndpointSettings | undefined>;
  chat?: {
    apiType?: ApiType;
    /**
     * An OpenAI-compatible server profile (`deepseek`, `openrouter`…: a registered provider speaking the OpenAI
     * Chat wire); the api type becomes that profile. `apiType`, when set, must be `openai-compatible`/`openai`.
     */
    profile?: string;
    /** The model name. */
    engine?: string;
    temperature?: number;
    topP?: number;
    maxResponseTokens?: number;
    stop?: string[];
    stream?: boolean;
    structuredOutput?: StructuredOutputSettings;
  };
  openai?: OpenAIInferenceConfig;
  claude?: ClaudeInferenceConfig;
  gemini?: GeminiInferenceConfig;
  ollama?: OllamaInferenceConfig;
  client?: {
    timeoutMs?: number;
    firstByteTimeoutMs?: number;
    idleTimeoutMs?: number;
    maxRetries?: number;
    userAgent?: string;
  };
  /** Engine-level InferenceConfig defaults (thinking budget, reasoning effort…); Turn.data overrides them. */
  inference?: InferenceConfig;
  /**
   * The embeddings engine (`geppetto/embeddings`): provider (`openai`, `gemini`, `ollama`; its key and endpoint
   * come from `api.<provider>`), model, vector length and texts per request.
   */
  embeddings?: { apiType?: string; engine?: string; dimensions?: number; batchSize?: number };
  modelInfo?: {
    reasoning?: boolean;
    contextWindow?: number;
    maxOutputTokens?: number;
    prices?: ModelPrices;
  };
  /** MCP servers by name (`mcp.servers.<name>`: a stdio command or a URL), used with `--mcp NAME`. */
  mcp?: ReturnType<typeof mcpSettingsSchema> extends Zod.ZodType<infer T> ? T : never;
  /**
   * Where sessions (and the web chat's timelines) are kept: `sqlite` with a file path, or `postgres` with a
   * `postgres://` URL (its password is redacted wherever settings are printed).
   */
  store?: { kind: "sqlite" | "postgres"; url: string };
  /** The settings blocks of registered providers beyond the built-in ones (`<config.key>:`). */
  [providerBlock: string]: unknown;
}

function parseJsonOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function buildStructuredOutputSchema(z: typeof Zod) {
  return z.strictObject({
    mode: z.enum(["off", "json_schema"]).optional(),
    name: z.string().optional(),
    description: z.string().optional(),
    schema: z
      .preprocess(
        (value) => (typeof value === "string" ? parseJsonOrKeep(value) : value),
        z.record(z.string(), z.unknown(), { error: "must be a JSON object (a JSON schema)" }),
      )
      .optional(),
    strict: z.boolean().optional(),
    requireValid: z.boolean().optional(),
  });
}

function buildPricesSchema(z: typeof Zod) {
  return z.strictObject({
    inputPerMillion: z.number().nonnegative().optional(),
    outputPerMillion: z.number().nonnegative().optional(),
    cachedInputPerMillion: z.number().nonnegative().optional(),
    cacheWritePerMillion: z.number().nonnegative().optional(),
  });
}

function buildSettingsSchema(z: typeof Zod): Zod.ZodType<InferenceSettings> {
  const providers = listProviders();
  const ids = providers.map((provider) => provider.id) as [string, ...string[]];
  const apiType = z.preprocess(
    (value) => (typeof value === "string" ? (findProvider(value)?.id ?? value) : value),
    z.enum(ids, { error: () => `must be one of ${providerNamesHelp()}` }),
  );
  const endpoint = z.strictObject({
    apiKey: z.string().min(1).optional(),
    baseURL: z.url({ error: "must be a URL such as https://api.example.com/v1" }).optional(),
  });
  const api: Record<string, Zod.ZodType> = {};
  const blocks: Record<string, Zod.ZodType> = {};
  for (const provider of providers) {
    api[provider.settingsKey] = endpoint.optional();
    if (provider.config) blocks[provider.config.key] ??= provider.config.schema().strict().optional();
  }
  const schemas = engineConfigSchemas();
  return z.strictObject({
    api: z.strictObject(api).optional(),
    chat: z
      .strictObject({
        apiType: apiType.optional(),
        profile: z.string().min(1).optional(),
        engine: z.string().min(1).optional(),
        temperature: z.number().min(0).max(2).optional(),
        topP: z.number().min(0).max(1).optional(),
        maxResponseTokens: z.number().int().positive().optional(),
        stop: z.array(z.string()).optional(),
        stream: z.boolean().optional(),
        structuredOutput: buildStructuredOutputSchema(z).optional(),
      })
      .optional(),
    ...blocks,
    client: z
      .strictObject({
        timeoutMs: z.number().int().positive().optional(),
        firstByteTimeoutMs: z.number().int().positive().optional(),
        idleTimeoutMs: z.number().int().positive().optional(),
        maxRetries: z.number().int().nonnegative().optional(),
        userAgent: z.string().optional(),
      })
      .optional(),
    inference: schemas.inferenceConfig.strict().optional(),
    embeddings: z
      .strictObject({
        apiType: z.string().min(1).optional(),
        engine: z.string().min(1).optional(),
        dimensions: z.number().int().positive().optional(),
        batchSize: z.number().int().positive().optional(),
      })
      .optional(),
    modelInfo: z
      .strictObject({
        reasoning: z.boolean().optional(),
        contextWindow: z.number().int().positive().optional(),
        maxOutputTokens: z.number().int().positive().optional(),
        prices: buildPricesSchema(z).optional(),
      })
      .optional(),
    mcp: mcpSettingsSchema().optional(),
    store: z
      .strictObject({
        kind: z.enum(["sqlite", "postgres"]),
        url: z.string().min(1),
      })
      .refine((store) => store.kind !== "postgres" || /^postgres(ql)?:\/\//.test(store.url), {
        error: "store.url must be a postgres:// URL when store.kind is postgres",
        path: ["url"],
      })
      .optional(),
  }) as unknown as Zod.ZodType<InferenceSettings>;
}

let cached: { version: number; schema: Zod.ZodType<InferenceSettings> } | undefined;

/**
 * The settings schema, built on first use from the provider registry (rebuilt when a provider is registered).
 * Parse with `loadSettings` to get sources too.
 *
 * @example
 * inferenceSettingsSchema().parse({ chat: { apiType: "claude" } }).chat?.apiType // "anthropic"
 */
export function inferenceSettingsSchema(): Zod.ZodType<InferenceSettings> {
  if (cached?.version !== registryVersion()) {
    cached = { version: registryVersion(), schema: buildSettingsSchema(loadZod()) };
  }
  return cached.schema;
}

let structuredOutputSchema: ReturnType<typeof buildStructuredOutputSchema> | undefined;
/**
 * The schema of structured output as configured, built on first use.
 *
 * @example
 * structuredOutputSettingsSchema().parse({ name: "person", schema: '{"type":"object"}' }).schema // { type: "object" }
 */
export function structuredOutputSettingsSchema(): ReturnType<typeof buildStructuredOutputSchema> {
  structuredOutputSchema ??= buildStructuredOutputSchema(loadZod());
  return structuredOutputSchema;
}

let pricesSchema: ReturnType<typeof buildPricesSchema> | undefined;
/**
 * The schema of model prices (US dollars per million tokens), built on first use.
 *
 * @example
 * modelPricesSchema().parse({ inputPerMillion: 0.15 })
 */
export function modelPricesSchema(): ReturnType<typeof buildPricesSchema> {
  pricesSchema ??= buildPricesSchema(loadZod());
  return pricesSchema;
}
