/**
 * The engines as the contract suite and the provider-switch tests see them, one per provider of the registry
 * (`geppetto/provider-kit`): how to create each one against the local provider server (through the descriptor's
 * lazy loader), and how to read its request body back, through its wire protocol's contract (`contract()` of
 * `ProviderDescriptor.protocol`, see `protocol.ts`). A provider registered before {@link contractEngines} is
 * called is in the suites like the built-in ones, whatever wire it speaks.
 *
 * Test support only: nothing here is exported from the package.
 */
import type { Engine } from "../../engine/engine.ts";
import type { ToolCatalog, ToolDescription } from "../../engine/tools.ts";
import type { EngineFactory, ProviderDescriptor } from "../../provider-kit/descriptor.ts";
import { listProviders } from "../../provider-kit/registry.ts";
import type { ProviderServer } from "../../testing/provider-server/index.ts";
import type { JsonObject } from "../../turns/json.ts";
import type { CallIdentity, ContractProtocol } from "./protocol.ts";

/** Settings a scenario may ask of an engine. */
export interface EngineSettings {
  /** Overrides the adapter's model. */
  model?: string;
  maxResponseTokens?: number;
}

/** One engine in the contract table: its wire's contract, its call ids, and how to create it. */
export interface EngineAdapter extends Omit<ContractProtocol, "calls" | "sendsReasoningBack">, CallIdentity {
  /** The provider id: the engine's name in test titles. */
  name: string;
  /** The provider name the engine stamps on blocks (`geppetto.provider@v1`) and events. */
  provider: string;
  /** The wire protocol's name (the local server serves it under this name). */
  protocol: string;
  /** True when the engine sends its own reasoning back (false for OpenAI Chat without a profile that does). */
  sendsReasoningBack: boolean;
  create(server: ProviderServer, settings?: EngineSettings): Engine;
}

/** The tools the scenarios offer: get_weather and get_time. */
export const CONTRACT_TOOLS: ToolDescription[] = [
  {
    name: "get_weather",
    description: "Current weather of a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
  {
    name: "get_time",
    description: "Current time in a time zone.",
    parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] },
  },
];

/**
 * A tool catalog holding {@link CONTRACT_TOOLS} for every dialect.
 *
 * @example
 * const ctx = RunContext.background().with(ToolCatalogKey, contractCatalog);
 */
export const contractCatalog: ToolCatalog = { toolsFor: () => CONTRACT_TOOLS };

const API_KEY = "contract-test-key";

function adapterOf(
  descriptor: ProviderDescriptor,
  factory: EngineFactory,
  wire: ContractProtocol,
): EngineAdapter {
  const { calls, sendsReasoningBack, ...contract } = wire;
  const protocol = descriptor.protocol.name;
  return {
    ...contract,
    ...calls(descriptor.id),
    name: descriptor.id,
    provider: descriptor.id,
    protocol,
    sendsReasoningBack: sendsReasoningBack(descriptor.id),
    create: (server, settings = {}) =>
      factory({
        model: settings.model ?? contract.model,
        apiKey: API_KEY,
        baseURL: server.baseURL(protocol),
        client: { maxRetries: 0 },
        env: {},
        ...(settings.maxResponseTokens === undefined
          ? {}
          : { inference: { maxResponseTokens: settings.maxResponseTokens } }),
      }),
  };
}

/**
 * One adapter per registered provider, its engine loaded through the descriptor's lazy loader.
 *
 * @example
 * const ENGINES = await contractEngines();
 * describe.each(ENGINES)("contract: $name", (adapter) => { … adapter.create(server) … });
 */
export async function contractEngines(): Promise<EngineAdapter[]> {
  return Promise.all(
    listProviders().map(async (descriptor) =>
      adapterOf(descriptor, await descriptor.load(), await descriptor.protocol.contract()),
    ),
  );
}

/**
 * The body of the request the server received at `index` (negative counts from the end).
 *
 * @example
 * adapter.read(requestBody(server)).toolCalls
 */
export function requestBody(server: ProviderServer, index = -1): JsonObject {
  const request = server.requests.at(index);
  if (!request) throw new Error(`the provider server received no request at ${index}`);
  return request.body as JsonObject;
}
