/**
 * The OpenAI Chat Completions provider as the registry knows it (no engine code: that loads on first use).
 *
 * Also the OpenAI-compatible servers as named profiles of the OpenAI Chat engine: DeepSeek, OpenRouter, vLLM,
 * Ollama's `/v1` and Azure OpenAI. A profile says where the key and endpoint come from, which field limits the
 * answer's tokens, which field carries reasoning, whether reasoning is sent back, and whether
 * `reasoning_effort` is accepted. Each profile is a provider of its own in the registry
 * (`--ai-api-type deepseek`), stamped with its own name on blocks, events and results.
 */
import { engineConfigSchemas } from "../../engine/inference-config.ts";
import {
  defineProvider,
  defineWireProtocol,
  type EngineFactory,
  type ModelPrices,
  type ProviderDescriptor,
} from "../../provider-kit/descriptor.ts";

/** The public OpenAI endpoint. */
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * OpenAI's published prices (US dollars per million tokens, 2025) of the models geppetto defaults to.
 *
 * @example
 * OPENAI_PRICES["gpt-4o-mini"]?.inputPerMillion // 0.15
 */
export const OPENAI_PRICES: Readonly<Record<string, ModelPrices>> = {
  "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6, cachedInputPerMillion: 0.075 },
  "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 },
  "o4-mini": { inputPerMillion: 1.1, outputPerMillion: 4.4, cachedInputPerMillion: 0.275 },
};

/**
 * The OpenAI Chat Completions wire (OpenAI and every OpenAI-compatible server): the local provider server's modules for it and the contract suite's reader, loaded only when
 * a server starts or a suite runs.
 *
 * @example
 * OPENAI_CHAT_WIRE.name // "openai-chat"
 */
export const OPENAI_CHAT_WIRE = defineWireProtocol({
  name: "openai-chat",
  server: async () => {
    const [wire, embeddings] = await Promise.all([
      import("../../testing/provider-server/openai-chat.ts"),
      import("../../testing/provider-server/embeddings.ts"),
    ]);
    return [wire.openaiChatProtocol, embeddings.openaiEmbeddingsProtocol];
  },
  contract: async () => (await import("../contract/openai-chat.ts")).openaiChatContract,
});

/**
 * `--ai-api-type openai` (also `openai-compatible`, which `--ai-profile` names a server profile of).
 *
 * @example
 * openaiProvider.defaultModel // "gpt-4o-mini"
 */
export const openaiProvider = defineProvider({
  id: "openai",
  aliases: ["openai-compatible"],
  description: "OpenAI Chat Completions",
  settingsKey: "openai",
  apiKey: { variables: ["OPENAI_API_KEY"], required: true },
  baseURL: { default: OPENAI_DEFAULT_BASE_URL, variables: ["OPENAI_BASE_URL"] },
  defaultModel: "gpt-4o-mini",
  prices: OPENAI_PRICES,
  config: { key: "openai", schema: () => engineConfigSchemas().openaiInferenceConfig },
  protocol: OPENAI_CHAT_WIRE,
  load: async () => (await import("./engine.ts")).createOpenAIChatEngine as EngineFactory,
});

/**
 * How one OpenAI-compatible server differs from OpenAI.
 *
 * @example
 * const local: OpenAICompatibleProfile = { ...openAICompatibleProfile("vllm")!, name: "my-vllm", baseURL: "http://gpu:8000/v1" };
 */
export interface OpenAICompatibleProfile {
  /** The provider name stamped on blocks, events and results; also its api type and `api.<name>` entry. */
  name: string;
  description: string;
  apiKeyVariables: readonly string[];
  /** False for servers that run without a key (vLLM, a local Ollama). */
  keyRequired: boolean;
  /** Its endpoint; `""` when each user has their own (Azure: set a base URL). */
  baseURL: string;
  baseURLVariables: readonly string[];
  defaultModel: string;
  /** The field that limits the answer: `auto` follows OpenAI (`max_completion_tokens` for reasoning models). */
  maxTokensField: "max_tokens" | "max_completion_tokens" | "auto";
  /** Where the server puts reasoning in answers, and sends it back when {@link sendReasoning}. */
  reasoningField: "reasoning_content" | "reasoning";
  /** Own reasoning goes back on the assistant message (servers that reject it in input: false). */
  sendReasoning: boolean;
  /** `reasoning_effort`: sent always, only to OpenAI reasoning models, or never (dropped with a warning). */
  reasoningEffort: "always" | "reasoning-models" | "never";
  /** How the key travels: `authorization: Bearer` or Azure's `api-key` header. */
  authHeader: "authorization" | "api-key";
}

/** OpenAI itself, as a profile: what the Chat engine does without one. */
export const OPENAI_PROFILE: OpenAICompatibleProfile = {
  name: "openai",
  description: "OpenAI Chat Completions",
  apiKeyVariables: ["OPENAI_API_KEY"],
  keyRequired: true,
  baseURL: "https://api.openai.com/v1",
  baseURLVariables: ["OPENAI_BASE_URL"],
  defaultModel: "gpt-4o-mini",
  maxTokensField: "auto",
  reasoningField: "reasoning_content",
  sendReasoning: false,
  reasoningEffort: "reasoning-models",
  authHeader: "authorization",
};

/**
 * The built-in profiles.
 *
 * @example
 * OPENAI_COMPATIBLE_PROFILES.find((profile) => profile.name === "deepseek")?.reasoningField // "reasoning_content"
 */
export const OPENAI_COMPATIBLE_PROFILES: readonly OpenAICompatibleProfile[] = [
  {
    name: "deepseek",
    description: "DeepSeek (OpenAI-compatible; reasoning in reasoning_content, never sent back)",
    apiKeyVariables: ["DEEPSEEK_API_KEY"],
    keyRequired: true,
    baseURL: "https://api.deepseek.com",
    baseURLVariables: ["DEEPSEEK_BASE_URL"],
    defaultModel: "deepseek-chat",
    maxTokensField: "max_tokens",
    reasoningField: "reasoning_content",
    // DeepSeek answers 400 when reasoning_content appears in the input messages.
    sendReasoning: false,
    reasoningEffort: "never",
    authHeader: "authorization",
  },
  {
    name: "openrouter",
    description: "OpenRouter (OpenAI-compatible; reasoning in reasoning, sent back)",
    apiKeyVariables: ["OPENROUTER_API_KEY"],
    keyRequired: true,
    baseURL: "https://openrouter.ai/api/v1",
    baseURLVariables: ["OPENROUTER_BASE_URL"],
    defaultModel: "openai/gpt-4o-mini",
    maxTokensField: "max_tokens",
    reasoningField: "reasoning",
    sendReasoning: true,
    reasoningEffort: "never",
    authHeader: "authorization",
  },
  {
    name: "vllm",
    description: "vLLM's OpenAI-compatible server (no key needed)",
    apiKeyVariables: ["VLLM_API_KEY"],
    keyRequired: false,
    baseURL: "http://127.0.0.1:8000/v1",
    baseURLVariables: ["VLLM_BASE_URL"],
    defaultModel: "Qwen/Qwen3-8B",
    maxTokensField: "max_tokens",
    reasoningField: "reasoning_content",
    sendReasoning: false,
    reasoningEffort: "never",
    authHeader: "authorization",
  },
  {
    name: "ollama-openai",
    description: "Ollama's OpenAI-compatible /v1 (no key needed)",
    apiKeyVariables: ["OLLAMA_API_KEY"],
    keyRequired: false,
    baseURL: "http://127.0.0.1:11434/v1",
    baseURLVariables: [],
    defaultModel: "llama3.2",
    maxTokensField: "max_tokens",
    reasoningField: "reasoning",
    sendReasoning: false,
    reasoningEffort: "always",
    authHeader: "authorization",
  },
  {
    name: "azure",
    description:
      "Azure OpenAI (v1 API: base URL https://RESOURCE.openai.azure.com/openai/v1, model = deployment)",
    apiKeyVariables: ["AZURE_OPENAI_API_KEY"],
    keyRequired: true,
    baseURL: "",
    baseURLVariables: ["AZURE_OPENAI_BASE_URL"],
    defaultModel: "gpt-4o-mini",
    maxTokensField: "auto",
    reasoningField: "reasoning_content",
    sendReasoning: false,
    reasoningEffort: "reasoning-models",
    authHeader: "api-key",
  },
];

/**
 * The registry entry of a profile: a provider whose engine is the OpenAI Chat engine with that profile. Use it
 * to register a server of your own.
 *
 * @example
 * registerProvider(openAICompatibleProvider({ ...openAICompatibleProfile("vllm")!, name: "gpu-box", baseURL: "http://gpu:8000/v1" }));
 */
export function openAICompatibleProvider(profile: OpenAICompatibleProfile): ProviderDescriptor {
  return defineProvider({
    id: profile.name,
    aliases: [],
    description: profile.description,
    settingsKey: profile.name,
    apiKey: { variables: profile.apiKeyVariables, required: profile.keyRequired },
    baseURL: { default: profile.baseURL, variables: profile.baseURLVariables },
    defaultModel: profile.defaultModel,
    prices: {},
    config: { key: "openai", schema: () => engineConfigSchemas().openaiInferenceConfig },
    protocol: OPENAI_CHAT_WIRE,
    load: async () => {
      const { createOpenAIChatEngine } = await import("./engine.ts");
      const factory: EngineFactory = (options) => createOpenAIChatEngine({ ...options, profile });
      return factory;
    },
  });
}

/**
 * A built-in profile by name (a CallerError-free lookup: `undefined` when there is none).
 *
 * @example
 * openAICompatibleProfile("deepseek")?.sendReasoning // false
 */
export function openAICompatibleProfile(name: string): OpenAICompatibleProfile | undefined {
  return OPENAI_COMPATIBLE_PROFILES.find((profile) => profile.name === name);
}

/** The registry entries of the built-in profiles. */
export const OPENAI_COMPATIBLE_PROVIDERS: readonly ProviderDescriptor[] =
  OPENAI_COMPATIBLE_PROFILES.map(openAICompatibleProvider);
