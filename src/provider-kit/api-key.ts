/**
 * Where an engine's key and endpoint come from, and the one message for a missing key.
 */
import { CallerError } from "../engine/errors.ts";
import type { ProviderDescriptor } from "./descriptor.ts";

/**
 * What {@link loadApiKey} reads: the options given in code and the environment.
 *
 * @example
 * const source: ApiKeySource = { apiKey: options.apiKey, baseURL: options.baseURL, env: options.env };
 */
export interface ApiKeySource {
  apiKey?: string | undefined;
  baseURL?: string | undefined;
  /** Default `process.env`. */
  env?: Record<string, string | undefined> | undefined;
}

/**
 * The key and endpoint of an engine. `missingKey` is set (the error to throw at the first inference) when the
 * provider needs a key, none was found and the endpoint is the provider's public one (a server at another base
 * URL, like the local provider server, may need none).
 *
 * @example
 * const { apiKey, baseURL, missingKey } = loadApiKey(anthropicProvider, options);
 */
export interface LoadedApiKey {
  apiKey: string | undefined;
  baseURL: string;
  missingKey: CallerError | undefined;
}

function firstSet(env: Record<string, string | undefined>, variables: readonly string[]): string | undefined {
  for (const variable of variables) {
    const value = env[variable];
    if (value) return value;
  }
  return undefined;
}

/**
 * The error for a missing key, in one wording for every provider: it names the variables and the flag.
 *
 * @example
 * missingApiKeyError(openaiProvider).message
 * // "openai: no API key: set OPENAI_API_KEY or --ai-api-key (api.openai.apiKey in settings, apiKey in code)"
 */
export function missingApiKeyError(
  descriptor: Pick<ProviderDescriptor, "id" | "apiKey" | "settingsKey">,
): CallerError {
  const variables = descriptor.apiKey.variables;
  const where = [...variables, "--ai-api-key"].join(" or ");
  return new CallerError(
    `${descriptor.id}: no API key: set ${where} (api.${descriptor.settingsKey}.apiKey in settings, apiKey in code)`,
    { code: "missing_api_key" },
  );
}

/**
 * Resolves an engine's key (option, then the provider's variables) and base URL (option, variables, default).
 * A provider without a public endpoint (`baseURL.default` empty) and no base URL given is a CallerError now.
 *
 * @example
 * const { apiKey, baseURL, missingKey } = loadApiKey(geminiProvider, { apiKey: options.apiKey, env: options.env });
 * if (missingKey) throw missingKey;
 */
export function loadApiKey(
  descriptor: Pick<ProviderDescriptor, "id" | "apiKey" | "baseURL" | "settingsKey">,
  source: ApiKeySource,
): LoadedApiKey {
  const env = source.env ?? process.env;
  const apiKey = source.apiKey || firstSet(env, descriptor.apiKey.variables);
  const baseURL = source.baseURL || firstSet(env, descriptor.baseURL.variables) || descriptor.baseURL.default;
  if (!baseURL) {
    const variables = [...descriptor.baseURL.variables, "--ai-base-url"].join(" or ");
    throw new CallerError(
      `${descriptor.id}: no base URL: set ${variables} (api.${descriptor.settingsKey}.baseURL in settings), or pass baseURL`,
      { code: "invalid_settings" },
    );
  }
  const missingKey =
    descriptor.apiKey.required && !apiKey && baseURL === descriptor.baseURL.default
      ? missingApiKeyError(descriptor)
      : undefined;
  return { apiKey: apiKey || undefined, baseURL, missingKey };
}
