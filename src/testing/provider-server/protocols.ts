/**
 * The protocol table of the local provider server, derived from the provider registry: the server speaks the
 * wire protocols the registered providers speak, each through the modules its `WireProtocol` names
 * (`ProviderDescriptor.protocol.server()`). A provider with a new wire brings its modules with it; nothing here
 * lists protocols.
 */
import { listProviders } from "../../provider-kit/registry.ts";
import type { ProtocolModule } from "./types.ts";

/**
 * The protocols the registered providers speak, in registry order (each once), read when a server starts: a
 * provider registered before then is served like the built-in ones. Each protocol's inference module comes first,
 * then the token-counting and embeddings modules (no path is served by two modules; the order is for reading).
 * `wires` keeps only the wire protocols of these names (with their other modules); by default all are served.
 *
 * @example
 * (await registeredProtocols()).map((module) => module.name) // ["openai-chat", "openai-responses", …, "openai-embeddings", …]
 * (await registeredProtocols(["openai-chat"])).map((module) => module.name) // ["openai-chat", "openai-embeddings"]
 */
export async function registeredProtocols(wires?: readonly string[]): Promise<ProtocolModule[]> {
  const spoken = new Map(
    listProviders()
      .filter((provider) => wires === undefined || wires.includes(provider.protocol.name))
      .map((provider) => [provider.protocol.name, provider.protocol]),
  );
  const modules = await Promise.all([...spoken.values()].map((protocol) => protocol.server()));
  return [...modules.map(([inference]) => inference), ...modules.flatMap(([, ...others]) => others)];
}
