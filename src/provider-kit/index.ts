/**
 * The provider kit: what every provider is written with, built-in or yours. A provider is one folder plus one
 * {@link ProviderDescriptor} registered here; settings, flags, the engine factory and the test suites read the
 * registry; a provider with a wire of its own names, in its {@link WireProtocol}, the local provider server's
 * module for it and the contract suite's reader (both loaded only by tests). The shared parts: {@link loadApiKey} (one missing-key message), {@link HttpEngine} (the engine
 * skeleton: request → stream or unary → events → Turn), {@link prepareInference} (configs resolved once, and
 * the one wording for a setting a provider cannot send), {@link midStreamError} (one mapping of in-stream errors) and the one policy for
 * another provider's reasoning ({@link foreignProducer}, {@link droppedBlockWarning}).
 *
 * @example
 * import { defineProvider, registerProvider } from "geppetto/provider-kit";
 * import { createOpenAIChatEngine, OPENAI_CHAT_WIRE } from "geppetto/providers/openai";
 * registerProvider(defineProvider({
 *   id: "acme", aliases: [], description: "Acme (OpenAI-compatible)", settingsKey: "acme",
 *   apiKey: { variables: ["ACME_API_KEY"], required: true },
 *   baseURL: { default: "https://api.acme.example/v1", variables: ["ACME_BASE_URL"] },
 *   defaultModel: "acme-1", prices: {}, config: null, protocol: OPENAI_CHAT_WIRE,
 *   load: async () => (options) => createOpenAIChatEngine({ ...options, providerName: "acme" }),
 * }));
 * // now: geppetto run --ai-api-type acme, createEngine({ chat: { apiType: "acme" } }), …
 */

export type { ContractProtocol, WireView } from "../providers/contract/protocol.ts";
export { type ApiKeySource, type LoadedApiKey, loadApiKey, missingApiKeyError } from "./api-key.ts";
export type * from "./contract.ts";
export { canCountTokens, countTokensBody, type TokenCounter, tokenCount } from "./count-tokens.ts";
export {
  defineProvider,
  defineWireProtocol,
  type EngineFactory,
  type ModelPrices,
  type ProviderDescriptor,
  providerNames,
  type WireProtocol,
} from "./descriptor.ts";
export {
  HttpEngine,
  type HttpEngineOptions,
  type HttpEngineSetup,
  type StreamFraming,
  type WireExchange,
} from "./http-engine.ts";
export { type ParsedModelId, parseModelId } from "./model-id.ts";
export { type PartialArg, PartialArgsAssembler, parseJsonPath } from "./partial-args.ts";
export { type InferenceDefaults, type PrepareDefaults, prepareInference, prepareTurn } from "./prepare.ts";
export { droppedBlockWarning, foreignProducer, isOwnBlock, type ProviderNames } from "./reasoning.ts";
export {
  findProvider,
  isSameProvider,
  listProviders,
  providerNamesHelp,
  registerProvider,
  registryVersion,
  requireProvider,
} from "./registry.ts";
export { midStreamError, type StreamErrorFields } from "./stream-error.ts";
