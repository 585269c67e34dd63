/**
 * Model ids read through the provider registry: `"provider:model"` names a registered provider (its id or an
 * alias, built-in or added with `registerProvider`), anything without a colon is a profile name. The application
 * API (`resolveModel`) and the CLI's `-m` both parse here, so a model id accepts exactly the providers settings do.
 */
import { CallerError } from "../engine/errors.ts";
import type { ProviderDescriptor } from "./descriptor.ts";
import { findProvider, providerNamesHelp } from "./registry.ts";

/**
 * A parsed model id: a provider (with the model, when one is named) or a profile name.
 *
 * @example
 * const parsed: ParsedModelId = { provider: anthropicProvider, model: "claude-sonnet-4-20250514" };
 */
export type ParsedModelId = { provider: ProviderDescriptor; model?: string } | { profile: string };

/**
 * Parses a model id against the registry. An empty id is `invalid_model_id`; a provider the registry does not know
 * is `unknown_provider`, listing the known ones. Both are CallerErrors.
 *
 * @example
 * parseModelId("claude:claude-sonnet-4-20250514") // { provider: <anthropic>, model: "claude-sonnet-4-20250514" }
 * parseModelId("fast") // { profile: "fast" }
 */
export function parseModelId(id: string): ParsedModelId {
  const trimmed = id.trim();
  const colon = trimmed.indexOf(":");
  if (colon < 0) {
    if (trimmed.length === 0) {
      throw new CallerError(
        `model id is empty: use "provider:model" (providers: ${providerNamesHelp()}) or a profile name`,
        { code: "invalid_model_id" },
      );
    }
    return { profile: trimmed };
  }
  const name = trimmed.slice(0, colon).toLowerCase();
  const model = trimmed.slice(colon + 1);
  const provider = findProvider(name);
  if (!provider) {
    throw new CallerError(
      `unknown provider "${name}" in model id "${id}": known providers are ${providerNamesHelp()}`,
      { code: "unknown_provider" },
    );
  }
  return model.length > 0 ? { provider, model } : { provider };
}
