/**
 * The Ollama provider: `createOllamaEngine` for Ollama's native `/api/chat` (NDJSON streaming), with the request
 * builder and stream handler it is made of.
 *
 * @example
 * import { createOllamaEngine } from "geppetto/providers/ollama";
 * const engine = createOllamaEngine({ model: "llama3.2" });
 */
export {
  KeyOllamaCallId,
  KeyOllamaInferenceConfig,
  KeyOllamaTimings,
  OLLAMA_PROVIDER,
  type OllamaInferenceConfig,
  type OllamaTimings,
  ollamaInferenceConfigSchema,
  resolveOllamaInferenceConfig,
} from "./descriptor.ts";
export {
  createOllamaEngine,
  OLLAMA_DEFAULT_BASE_URL,
  OllamaEngine,
  type OllamaEngineOptions,
  ollamaBaseURL,
} from "./engine.ts";
export { buildOllamaRequest, type OllamaRequest, type OllamaRequestOptions, thinkFor } from "./request.ts";
export { OllamaStreamHandler, ollamaFinishClass } from "./stream.ts";
export type * from "./wire.ts";
