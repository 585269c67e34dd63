/**
 * The OpenAI Responses provider (`openai-responses`): `createOpenAIResponsesEngine`, its request builder,
 * stream handler and the block metadata keys it writes.
 *
 * @example
 * import { createOpenAIResponsesEngine } from "geppetto/providers/openai-responses";
 * const engine = createOpenAIResponsesEngine({ model: "gpt-5-mini", serverTools: [{ type: "web_search" }] });
 */

export {
  KeyResponsesAnnotations,
  KeyResponsesItemType,
  KeyResponsesOutputIndex,
  KeyResponsesResponseId,
  KeyResponsesStatus,
  OPENAI_RESPONSES_PROVIDER,
  WEB_SEARCH_CALL_TYPE,
} from "./descriptor.ts";
export {
  createOpenAIResponsesEngine,
  OPENAI_DEFAULT_BASE_URL,
  OpenAIResponsesEngine,
  type OpenAIResponsesEngineOptions,
} from "./engine.ts";
export {
  buildResponsesRequest,
  isReasoningModel,
  type ResponsesRequest,
  type ResponsesRequestOptions,
} from "./request.ts";
export {
  type ResponsesOutcome,
  ResponsesStreamHandler,
  responsesProviderError,
  usageFromResponses,
} from "./stream.ts";
export type * from "./wire.ts";
