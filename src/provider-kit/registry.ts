/**
 * The provider registry: the one list of providers. It starts with the built-in ones (`src/providers/builtin.ts`)
 * and takes more with {@link registerProvider}; settings, flag help, the engine factory and the test suites read it
 * when they need it, so a provider registered before settings are loaded is a provider like the others.
 */
import { CallerError } from "../engine/errors.ts";
import { BUILTIN_PROVIDERS } from "../providers/builtin.ts";
import { type ProviderDescriptor, providerNames } from "./descriptor.ts";

const byId = new Map<string, ProviderDescriptor>();
const byName = new Map<string, ProviderDescriptor>();
let version = 0;

function add(descriptor: ProviderDescriptor): void {
  for (const name of providerNames(descriptor)) {
    const taken = byName.get(name);
    if (taken) {
      throw new CallerError(
        `registerProvider: the name ${JSON.stringify(name)} of ${descriptor.id} is already taken by ${taken.id}`,
        { code: "invalid_settings" },
      );
    }
  }
  const namesake = [...byId.values()].find(
    (other) => other.protocol.name === descriptor.protocol.name && other.protocol !== descriptor.protocol,
  );
  if (namesake) {
    throw new CallerError(
      `registerProvider: the wire protocol name ${JSON.stringify(descriptor.protocol.name)} of ${descriptor.id} ` +
        `is already taken by the protocol of ${namesake.id}`,
      { code: "invalid_settings" },
    );
  }
  byId.set(descriptor.id, descriptor);
  for (const name of providerNames(descriptor)) byName.set(name, descriptor);
  version++;
}

for (const descriptor of BUILTIN_PROVIDERS) add(descriptor);

/**
 * Adds a provider. Its id and aliases must be free. Returns a function that removes it again (for tests).
 *
 * @example
 * const unregister = registerProvider(acmeProvider);
 * await createEngine({ chat: { apiType: "acme" }, api: { acme: { apiKey } } });
 */
export function registerProvider(descriptor: ProviderDescriptor): () => void {
  add(descriptor);
  return () => {
    if (byId.get(descriptor.id) !== descriptor) return;
    byId.delete(descriptor.id);
    for (const name of providerNames(descriptor)) byName.delete(name);
    version++;
  };
}

/**
 * Every registered provider, built-in ones first, in registration order.
 *
 * @example
 * listProviders().map((provider) => provider.id) // ["openai", "openai-responses", "anthropic", …]
 */
export function listProviders(): readonly ProviderDescriptor[] {
  return [...byId.values()];
}

/**
 * The provider with this id or alias, or `undefined`.
 *
 * @example
 * findProvider("claude")?.id // "anthropic"
 */
export function findProvider(name: string): ProviderDescriptor | undefined {
  return byName.get(name);
}

/**
 * The provider with this id or alias; a CallerError listing the known names otherwise.
 *
 * @example
 * requireProvider("anthropic").defaultModel // "claude-sonnet-4-20250514"
 */
export function requireProvider(name: string): ProviderDescriptor {
  const descriptor = byName.get(name);
  if (descriptor) return descriptor;
  throw new CallerError(`unknown provider ${JSON.stringify(name)}: known are ${providerNamesHelp()}`, {
    code: "invalid_settings",
  });
}

/**
 * The known provider names for messages and help: `openai (or openai-compatible), openai-responses, anthropic (or claude), …`.
 *
 * @example
 * `--ai-api-type: ${providerNamesHelp()}`
 */
export function providerNamesHelp(): string {
  return listProviders()
    .map((provider) =>
      provider.aliases.length > 0 ? `${provider.id} (or ${provider.aliases.join(", ")})` : provider.id,
    )
    .join(", ");
}

/**
 * A number that changes whenever the registry does (caches built from it, like the settings schema, compare it).
 *
 * @example
 * if (cachedAt !== registryVersion()) rebuild();
 */
export function registryVersion(): number {
  return version;
}

/**
 * True when the two names stand for the same provider (an id and one of its aliases, say). Unknown names are
 * equal only to themselves.
 *
 * @example
 * isSameProvider("claude", "anthropic") // true
 */
export function isSameProvider(left: string, right: string): boolean {
  if (left === right) return true;
  const descriptor = byName.get(left);
  return descriptor !== undefined && descriptor === byName.get(right);
}
