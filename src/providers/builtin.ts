/**
 * The built-in providers, in the order help lists them. The registry (`geppetto/provider-kit`) starts with
 * these; nothing else lists providers. Each descriptor loads its engine only when used.
 */
import type { ProviderDescriptor } from "../provider-kit/descriptor.ts";
import { anthropicProvider } from "./anthropic/descriptor.ts";
import { geminiProvider } from "./gemini/descriptor.ts";
import { ollamaProvider } from "./ollama/descriptor.ts";
import { OPENAI_COMPATIBLE_PROVIDERS, openaiProvider } from "./openai/descriptor.ts";
import { openaiResponsesProvider } from "./openai-responses/descriptor.ts";

/**
 * Every built-in provider.
 *
 * @example
 * BUILTIN_PROVIDERS.map((provider) => provider.id)
 */
export const BUILTIN_PROVIDERS: readonly ProviderDescriptor[] = [
  openaiProvider,
  openaiResponsesProvider,
  anthropicProvider,
  geminiProvider,
  ollamaProvider,
  ...OPENAI_COMPATIBLE_PROVIDERS,
];
