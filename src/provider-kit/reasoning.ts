/**
 * The one "reasoning of another provider" policy: reasoning (and other provider-only blocks) go back only to the
 * provider that made them; another provider's are dropped, never turned into text, with one warning wording.
 * A provider's aliases count as the provider itself, so a Turn stamped `claude` continues on `anthropic`.
 */
import { KeyBlockMetaProvider } from "../turns/keys.ts";
import type { Block } from "../turns/types.ts";
import type { ProviderDescriptor } from "./descriptor.ts";

/**
 * A provider as the policy reads it: its id and aliases. An engine passes its own descriptor, so the check needs
 * no registry (whose built-in descriptors would load with every provider).
 */
export type ProviderNames = Pick<ProviderDescriptor, "id" | "aliases">;

function isNamed(provider: ProviderNames, name: string): boolean {
  return name === provider.id || provider.aliases.includes(name);
}

/**
 * The provider that made `block` when it is another one than `provider`; `undefined` for own blocks and for
 * blocks with no provider stamp.
 *
 * @example
 * foreignProducer(claudeStampedBlock, anthropicProvider) // undefined (claude is an alias of anthropic)
 * foreignProducer(geminiBlock, anthropicProvider) // "gemini"
 */
export function foreignProducer(block: Block, provider: ProviderNames): string | undefined {
  const producer = KeyBlockMetaProvider.get(block);
  return producer === undefined || isNamed(provider, producer) ? undefined : producer;
}

/**
 * True when `block` was stamped by `provider` (or one of its aliases).
 *
 * @example
 * isOwnBlock(block, ollamaProvider)
 */
export function isOwnBlock(block: Block, provider: ProviderNames): boolean {
  const producer = KeyBlockMetaProvider.get(block);
  return producer !== undefined && isNamed(provider, producer);
}

/**
 * The warning for a dropped block of another provider, in the one wording every engine uses.
 *
 * @example
 * droppedBlockWarning("turn.blocks[3] (reasoning)", "anthropic") // "turn.blocks[3] (reasoning): reasoning from anthropic was dropped"
 */
export function droppedBlockWarning(where: string, producer: string | undefined, what = "reasoning"): string {
  return `${where}: ${what} from ${producer ?? "another provider"} was dropped`;
}
