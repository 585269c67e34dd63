/**
 * The Gemini provider: `createGeminiEngine` for the Gemini API (`generateContent` / `streamGenerateContent`),
 * with the request builder and stream handler it is made of.
 *
 * @example
 * import { createGeminiEngine } from "geppetto/providers/gemini";
 * const engine = createGeminiEngine({ model: "gemini-2.5-flash" });
 */

export { PartialArgsAssembler, parseJsonPath } from "../../provider-kit/partial-args.ts";
export {
  GEMINI_PART_TYPE,
  GEMINI_PROVIDER,
  type GeminiInferenceConfig,
  geminiCallId,
  geminiInferenceConfigSchema,
  KeyGeminiCallId,
  KeyGeminiInferenceConfig,
  KeyGeminiResponseId,
  KeyGeminiThoughtSignature,
  KeyGeminiTrailingSignature,
  resolveGeminiInferenceConfig,
} from "./descriptor.ts";
export {
  createGeminiEngine,
  GEMINI_DEFAULT_BASE_URL,
  GeminiEngine,
  type GeminiEngineOptions,
} from "./engine.ts";
export {
  buildGeminiRequest,
  FOREIGN_CALL_SIGNATURE,
  type GeminiRequest,
  type GeminiRequestOptions,
  geminiPath,
} from "./request.ts";
export { GeminiStreamHandler } from "./stream.ts";
export {
  blockReasonName,
  finishReasonName,
  geminiErrorFields,
  geminiFinishClass,
  usageFromGemini,
} from "./stream-finish.ts";
export type * from "./wire.ts";
