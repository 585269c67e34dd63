/**
 * The protocol table of the local provider server. Each protocol lives in its own module; add yours here with
 * one import and one entry (order matters only when two modules match the same path).
 */
import { anthropicProtocol } from "./anthropic.ts";
import { COUNT_TOKENS_PROTOCOLS } from "./count-tokens.ts";
import { geminiProtocol } from "./gemini.ts";
import { ollamaProtocol } from "./ollama.ts";
import { openaiChatProtocol } from "./openai-chat.ts";
import { openaiResponsesProtocol } from "./openai-responses.ts";
import type { ProtocolModule } from "./types.ts";

/** Every protocol the server speaks. */
export const PROTOCOLS: ProtocolModule[] = [
  openaiChatProtocol,
  openaiResponsesProtocol,
  anthropicProtocol,
  geminiProtocol,
  ollamaProtocol,
  ...COUNT_TOKENS_PROTOCOLS,
];
