/**
 * The protocol table of the local provider server, derived from the provider registry: the server speaks the
 * wire protocols the registered providers speak (`ProviderDescriptor.protocol`), each with its own module. A new
 * wire protocol is one module here; the compiler asks for it ({@link PROTOCOL_MODULES} has one entry per
 * `WireProtocol`).
 */
import type { WireProtocol } from "../../provider-kit/descriptor.ts";
import { listProviders } from "../../provider-kit/registry.ts";
import { anthropicProtocol } from "./anthropic.ts";
import {
  anthropicCountTokensProtocol,
  geminiCountTokensProtocol,
  responsesInputTokensProtocol,
} from "./count-tokens.ts";
import {
  geminiEmbeddingsProtocol,
  ollamaEmbeddingsProtocol,
  openaiEmbeddingsProtocol,
} from "./embeddings.ts";
import { geminiProtocol } from "./gemini.ts";
import { ollamaProtocol } from "./ollama.ts";
import { openaiChatProtocol } from "./openai-chat.ts";
import { openaiResponsesProtocol } from "./openai-responses.ts";
import type { ProtocolModule } from "./types.ts";

/**
 * The modules of each wire protocol: the inference endpoint first, then the API's token-counting and embeddings
 * endpoints where it has them.
 *
 * @example
 * PROTOCOL_MODULES.anthropic.map((module) => module.name) // ["anthropic", "anthropic-count-tokens"]
 */
export const PROTOCOL_MODULES: Readonly<Record<WireProtocol, readonly ProtocolModule[]>> = {
  "openai-chat": [openaiChatProtocol, openaiEmbeddingsProtocol],
  "openai-responses": [openaiResponsesProtocol, responsesInputTokensProtocol],
  anthropic: [anthropicProtocol, anthropicCountTokensProtocol],
  gemini: [geminiProtocol, geminiCountTokensProtocol, geminiEmbeddingsProtocol],
  ollama: [ollamaProtocol, ollamaEmbeddingsProtocol],
};

/**
 * The protocols the registered providers speak, in registry order (each once), read when a server starts: a
 * provider registered before then is served like the built-in ones.
 *
 * @example
 * registeredProtocols().map((module) => module.name) // ["openai-chat", "openai-responses-input-tokens"… ]
 */
export function registeredProtocols(): ProtocolModule[] {
  const spoken = [...new Set(listProviders().map((provider) => provider.protocol))];
  const modules = spoken.map((protocol) => PROTOCOL_MODULES[protocol]);
  // Inference endpoints first, then the others (no path is served by two modules; the order is for reading).
  return [...modules.map((list) => list[0]!), ...modules.flatMap((list) => list.slice(1))];
}
