/**
 * The token-counting endpoints: OpenAI Responses `POST /v1/responses/input_tokens`, Anthropic
 * `POST /v1/messages/count_tokens` and Gemini `POST /v1beta/models/{model}:countTokens`. They answer with a
 * deterministic count of the request: {@link localTokenCount} (a quarter of the body's JSON length, rounded up).
 */
import type { ProtocolModule, RecordedRequest, Reply } from "./types.ts";

/**
 * The count the local server gives for a request body.
 *
 * @example
 * localTokenCount({ input: "Hi" }) // 4
 */
export function localTokenCount(body: unknown): number {
  return Math.ceil(JSON.stringify(body ?? null).length / 4);
}

function json(value: unknown): Reply {
  return { status: 200, headers: { "content-type": "application/json" }, frames: [JSON.stringify(value)] };
}

const counter = (
  name: string,
  basePath: string,
  matches: (path: string) => boolean,
  answer: (count: number) => unknown,
): ProtocolModule => ({
  name,
  basePath,
  matches: (method, path) => method === "POST" && matches(path),
  wantsStream: () => false,
  render: (_script, _streaming, request: RecordedRequest) => json(answer(localTokenCount(request.body))),
});

/** OpenAI Responses `POST /v1/responses/input_tokens`. */
export const responsesInputTokensProtocol: ProtocolModule = counter(
  "openai-responses-input-tokens",
  "/v1",
  (path) => path === "/v1/responses/input_tokens" || path === "/responses/input_tokens",
  (count) => ({ object: "response.input_tokens", input_tokens: count }),
);

/** Anthropic `POST /v1/messages/count_tokens`. */
export const anthropicCountTokensProtocol: ProtocolModule = counter(
  "anthropic-count-tokens",
  "",
  (path) => path === "/v1/messages/count_tokens",
  (count) => ({ input_tokens: count }),
);

/** Gemini `POST /v1beta/models/{model}:countTokens`. */
export const geminiCountTokensProtocol: ProtocolModule = counter(
  "gemini-count-tokens",
  "/v1beta",
  (path) => /^\/v1(?:alpha|beta)?\/(?:models|tunedModels)\/[^/:]+:countTokens$/.test(path),
  (count) => ({ totalTokens: count }),
);
