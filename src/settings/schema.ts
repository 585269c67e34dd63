/**
 * The settings schema: one zod schema for everything an engine needs (which provider, which model, keys, sampling,
 * structured output, client limits, engine-level inference defaults and the model's prices).
 *
 * Every field is optional, so each layer (a config file, a profile, the environment, the flags) is checked against
 * this same schema on its own, and a bad value is reported with the layer it came from. Objects are strict: a
 * misspelled key is an error, not a silently ignored setting.
 */
import { z } from "zod";
import { engineConfigSchemas } from "../engine/inference-config.ts";
import { mcpSettingsSchema } from "../mcp/settings.ts";
import { geminiInferenceConfigSchema } from "../providers/gemini/config.ts";
import { ollamaInferenceConfigSchema } from "../providers/ollama/config.ts";

/**
 * The provider protocols geppetto speaks. `anthropic` is accepted as an alias of `claude`.
 *
 * @example
 * API_TYPES.includes("gemini") // true
 */
export const API_TYPES = ["openai", "openai-responses", "claude", "gemini", "ollama"] as const;
/**
 * A provider protocol.
 *
 * @example
 * const apiType: ApiType = "openai-responses";
 */
export type ApiType = (typeof API_TYPES)[number];

/**
 * Where the keys and base URLs of a provider live in `api`.
 *
 * @example
 * const provider: ProviderName = providerOf("openai-responses"); // "openai"
 */
export type ProviderName = "openai" | "claude" | "gemini" | "ollama";

/**
 * The `api` entry an api type reads its key and base URL from (`openai-responses` shares `openai`).
 *
 * @example
 * providerOf("openai-responses") // "openai"
 */
export function providerOf(apiType: ApiType): ProviderName {
  return apiType === "openai-responses" ? "openai" : apiType;
}

const apiTypeSchema = z.preprocess(
  (value) => (value === "anthropic" ? "claude" : value),
  z.enum(API_TYPES, { error: () => `must be one of ${API_TYPES.join(", ")} (or anthropic)` }),
);

const providerEndpointSchema = z.strictObject({
  /** Secret: redacted wherever settings are printed. */
  apiKey: z.string().min(1).optional(),
  baseURL: z.url({ error: "must be a URL such as https://api.example.com/v1" }).optional(),
});

/**
 * Structured output as configured (the `--ai-structured-output-*` flags).
 *
 * @example
 * structuredOutputSettingsSchema.parse({ name: "person", schema: '{"type":"object"}' }).schema // { type: "object" }
 */
export const structuredOutputSettingsSchema = z.strictObject({
  /** `off` (default, unless a schema is given) or `json_schema`. */
  mode: z.enum(["off", "json_schema"]).optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  /** A JSON schema object (a JSON string is accepted and parsed). */
  schema: z
    .preprocess(
      (value) => (typeof value === "string" ? parseJsonOrKeep(value) : value),
      z.record(z.string(), z.unknown(), { error: "must be a JSON object (a JSON schema)" }),
    )
    .optional(),
  strict: z.boolean().optional(),
  requireValid: z.boolean().optional(),
});

function parseJsonOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Model prices in US dollars per million tokens.
 *
 * @example
 * const prices: ModelPrices = { inputPerMillion: 0.15, outputPerMillion: 0.6, cachedInputPerMillion: 0.075 };
 */
export const modelPricesSchema = z.strictObject({
  inputPerMillion: z.number().nonnegative().optional(),
  outputPerMillion: z.number().nonnegative().optional(),
  /** Input tokens served from the provider's prompt cache. */
  cachedInputPerMillion: z.number().nonnegative().optional(),
  /** Input tokens written to the prompt cache (Anthropic). Defaults to the input price. */
  cacheWritePerMillion: z.number().nonnegative().optional(),
});
export type ModelPrices = z.infer<typeof modelPricesSchema>;

/**
 * The settings schema. Parse with `loadSettings` to get sources too.
 *
 * @example
 * inferenceSettingsSchema.parse({ chat: { apiType: "anthropic" } }).chat?.apiType // "claude"
 */
export const inferenceSettingsSchema = z.strictObject({
  /** Keys and base URLs, per provider. */
  api: z
    .strictObject({
      openai: providerEndpointSchema.optional(),
      claude: providerEndpointSchema.optional(),
      gemini: providerEndpointSchema.optional(),
      ollama: providerEndpointSchema.optional(),
    })
    .optional(),
  chat: z
    .strictObject({
      apiType: apiTypeSchema.optional(),
      /** The model name. */
      engine: z.string().min(1).optional(),
      temperature: z.number().min(0).max(2).optional(),
      topP: z.number().min(0).max(1).optional(),
      maxResponseTokens: z.number().int().positive().optional(),
      stop: z.array(z.string()).optional(),
      stream: z.boolean().optional(),
      structuredOutput: structuredOutputSettingsSchema.optional(),
    })
    .optional(),
  openai: engineConfigSchemas().openaiInferenceConfig.strict().optional(),
  claude: engineConfigSchemas().claudeInferenceConfig.strict().optional(),
  gemini: geminiInferenceConfigSchema().strict().optional(),
  ollama: ollamaInferenceConfigSchema().strict().optional(),
  client: z
    .strictObject({
      timeoutMs: z.number().int().positive().optional(),
      firstByteTimeoutMs: z.number().int().positive().optional(),
      idleTimeoutMs: z.number().int().positive().optional(),
      maxRetries: z.number().int().nonnegative().optional(),
      userAgent: z.string().optional(),
    })
    .optional(),
  /** Engine-level InferenceConfig defaults (thinking budget, reasoning effort…); Turn.data overrides them. */
  inference: engineConfigSchemas().inferenceConfig.strict().optional(),
  modelInfo: z
    .strictObject({
      reasoning: z.boolean().optional(),
      contextWindow: z.number().int().positive().optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      prices: modelPricesSchema.optional(),
    })
    .optional(),
  /** MCP servers by name (`mcp.servers.<name>`: a stdio command or a URL), used with `--mcp NAME`. */
  mcp: mcpSettingsSchema.optional(),
  /**
   * Where sessions (and the web chat's timelines) are kept: `sqlite` with a file path, or `postgres` with a
   * `postgres://` URL (its password is redacted wherever settings are printed).
   */
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
});

/**
 * Everything an engine needs, as one value. Every field is optional.
 *
 * @example
 * const settings: InferenceSettings = { chat: { apiType: "openai", engine: "gpt-4o-mini" }, api: { openai: { apiKey } } };
 * const engine = await createEngine(settings);
 */
export type InferenceSettings = z.infer<typeof inferenceSettingsSchema>;
