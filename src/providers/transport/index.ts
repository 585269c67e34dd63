/**
 * The shared HTTP transport of every provider engine: POST JSON over the platform fetch, stream SSE, NDJSON or a
 * JSON array, retry before the first byte, time out (whole request, first byte, idle gap), cancel all the way
 * down, turn error bodies into ProviderError, keep API keys out of every message, and tap the raw wire.
 *
 * @example
 * import { HttpTransport } from "../transport/index.ts";
 * const transport = new HttpTransport({ provider: "ollama", baseURL: "http://127.0.0.1:11434" });
 * const response = await transport.stream({ path: "/api/chat", body, signal: ctx.signal }, "application/x-ndjson");
 * await response.ndjson((line) => handle(JSON.parse(line)));
 */
export {
  defaultErrorFields,
  type ErrorFieldsExtractor,
  errorCodeForStatus,
  isSecretHeader,
  type ProviderErrorFields,
  scrubSecrets,
} from "./errors.ts";
export {
  HttpTransport,
  type JsonResponse,
  type ResponseInfo,
  type StreamResponse,
  type TransportOptions,
  type TransportRequest,
} from "./http.ts";
export { encodeJsonBody, hasJsonPieces, JsonPiece, JsonPieceList, PieceCache } from "./json-pieces.ts";
export { type BackoffOptions, backoffDelayMs, isRetryableStatus, retryAfterMs } from "./retry.ts";
export { JsonArraySplitter, LineSplitter, type SseHandler, SseSplitter } from "./splitters.ts";
export { createFixtureTap, type RawTap, redactHeaders, type TappedRequest } from "./tap.ts";
