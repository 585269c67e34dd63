/**
 * What geppetto knows about a provider, in one value: its names, where its key and endpoint come from, its
 * default model and known prices, its own settings block, the wire protocol it speaks and a lazy loader of its
 * engine. Settings, flags and their help, the engine factory, the contract suite, the provider-switch matrix,
 * the local provider server and the import-cost test all read the registry of these (see `registry.ts`).
 *
 * Every field is required (use `null` or an empty list for "none"), so a descriptor that forgets one does not
 * compile.
 */
import type * as Zod from "zod";
import type { Engine } from "../engine/engine.ts";
import type { ContractProtocol } from "../providers/contract/protocol.ts";
import type { ProviderEngineOptions } from "../providers/options.ts";
import type { ProtocolModule } from "../testing/provider-server/types.ts";

/**
 * Model prices in US dollars per million tokens.
 *
 * @example
 * const prices: ModelPrices = { inputPerMillion: 0.15, outputPerMillion: 0.6, cachedInputPerMillion: 0.075 };
 */
export interface ModelPrices {
  inputPerMillion?: number;
  outputPerMillion?: number;
  /** Input tokens served from the provider's prompt cache. */
  cachedInputPerMillion?: number;
  /** Input tokens written to the prompt cache (Anthropic). Defaults to the input price. */
  cacheWritePerMillion?: number;
}

/**
 * A wire protocol: its name and, loaded only when used, how the local provider server answers it and how the
 * contract suite reads it. Providers that speak one protocol share one value (OpenAI and the OpenAI-compatible
 * profiles share the OpenAI Chat wire); a provider with a new wire defines its own with {@link defineWireProtocol},
 * in its own folder. Both loaders are required: a protocol the server or the suite cannot speak does not compile.
 *
 * @example
 * const acmeWire = defineWireProtocol({
 *   name: "acme",
 *   server: async () => [(await import("./local-server.ts")).acmeServerModule],
 *   contract: async () => (await import("./contract.ts")).acmeContract,
 * });
 */
export interface WireProtocol {
  /** The name the local provider server serves it under (`server.baseURL(name)`), unique in the registry. */
  readonly name: string;
  /**
   * The local provider server's modules for it (`geppetto/testing`): the inference endpoint first, then the API's
   * token-counting and embeddings endpoints where it has them. Loaded when a server starts.
   */
  readonly server: () => Promise<readonly [ProtocolModule, ...ProtocolModule[]]>;
  /** How the contract suite reads its request bodies and what it expects on it (test support, loaded by the suites). */
  readonly contract: () => Promise<ContractProtocol>;
}

/**
 * Returns the protocol as it is, checked by the compiler (both loaders present).
 *
 * @example
 * export const acmeWire = defineWireProtocol({ name: "acme", server: …, contract: … });
 */
export function defineWireProtocol(protocol: WireProtocol): WireProtocol {
  return protocol;
}

/**
 * A provider's engine factory, as the registry loads it.
 *
 * @example
 * const factory: EngineFactory = (options) => createOpenAIChatEngine(options);
 */
export type EngineFactory = (options: ProviderEngineOptions & Record<string, unknown>) => Engine;

/**
 * One provider.
 *
 * @example
 * const acme = defineProvider({
 *   id: "acme", aliases: [], description: "Acme Chat (OpenAI-compatible)", settingsKey: "acme",
 *   apiKey: { variables: ["ACME_API_KEY"], required: true },
 *   baseURL: { default: "https://api.acme.example/v1", variables: ["ACME_BASE_URL"] },
 *   defaultModel: "acme-1", prices: {}, config: null, protocol: OPENAI_CHAT_WIRE,
 *   load: async () => (options) => createOpenAIChatEngine({ ...options, providerName: "acme" }),
 * });
 */
export interface ProviderDescriptor {
  /**
   * The canonical id: the `chat.apiType` value (`--ai-api-type`) and the provider name stamped on blocks
   * (`geppetto.provider@v1`), events and results.
   */
  readonly id: string;
  /** Other names of the same provider: accepted in settings and recognised on blocks of older Turns. */
  readonly aliases: readonly string[];
  /** One line for help texts. */
  readonly description: string;
  /**
   * Where its key and endpoint live in settings (`api.<settingsKey>`); providers of one vendor share it
   * (`openai` and `openai-responses` both read `api.openai`).
   */
  readonly settingsKey: string;
  /** The environment variables its key is read from (first set wins), and whether it needs one at all. */
  readonly apiKey: { readonly variables: readonly string[]; readonly required: boolean };
  /** Its public endpoint (`""` when there is none and a base URL must be given) and the variables read for it. */
  readonly baseURL: { readonly default: string; readonly variables: readonly string[] };
  /** The model used when `chat.engine` is not set. */
  readonly defaultModel: string;
  /** Known prices by model name, used when `modelInfo.prices` is not set. */
  readonly prices: Readonly<Record<string, ModelPrices>>;
  /**
   * Its own settings block (`<key>:` in settings, passed to the factory as the option of the same name) and the
   * zod schema of that block, built on first use; `null` when it has none. Two providers may share one block.
   */
  readonly config: { readonly key: string; readonly schema: () => Zod.ZodObject } | null;
  /** The wire protocol it speaks (shared with the providers that speak it too). */
  readonly protocol: WireProtocol;
  /** Loads the engine factory (imports the provider's code on first use only). */
  readonly load: () => Promise<EngineFactory>;
}

/**
 * Returns the descriptor as it is, checked by the compiler (every field present).
 *
 * @example
 * export const acmeProvider = defineProvider({ id: "acme", … });
 */
export function defineProvider(descriptor: ProviderDescriptor): ProviderDescriptor {
  return descriptor;
}

/**
 * The names a provider answers to: its id and its aliases.
 *
 * @example
 * providerNames(anthropicProvider) // ["anthropic", "claude"]
 */
export function providerNames(descriptor: Pick<ProviderDescriptor, "id" | "aliases">): string[] {
  return [descriptor.id, ...descriptor.aliases];
}
