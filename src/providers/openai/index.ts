/**
 * The OpenAI Chat Completions provider: `createOpenAIChatEngine`, plus its request builder and stream reader
 * for tools that want the wire mapping alone.
 *
 * @example
 * import { createOpenAIChatEngine } from "geppetto/providers/openai";
 * const engine = createOpenAIChatEngine({ model: "gpt-4o-mini", baseURL: "http://127.0.0.1:8787/v1", apiKey: "x" });
 */

export { OPENAI_CHAT_WIRE } from "./descriptor.ts";
export {
  createOpenAIChatEngine,
  OPENAI_DEFAULT_BASE_URL,
  OpenAIChatEngine,
  type OpenAIChatEngineOptions,
} from "./engine.ts";
export {
  buildChatRequest,
  CHOICE_BLOCK_TYPE,
  type ChatMessagesOptions,
  type ChatRequestOptions,
  isReasoningModel,
  messagesFromTurn,
  REFUSAL_BLOCK_TYPE,
} from "./request.ts";
export { ChatStreamReader, finishClassOf, streamError, usageOf } from "./stream.ts";
export type * from "./wire.ts";
