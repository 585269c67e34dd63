/**
 * The Gemini engine: Turn → `models/{model}:streamGenerateContent` (or `:generateContent`) → blocks and events,
 * over the shared transport. The API key travels in the `x-goog-api-key` header, never in the URL.
 */

import type { Engine } from "../../engine/engine.ts";
import { CallerError } from "../../engine/errors.ts";
import { runWithOutput } from "../../engine/lifecycle.ts";
import { toolsFromContext } from "../../engine/tools.ts";
import type { RunContext } from "../../events/context.ts";
import { observeTokenCount } from "../../observability/token-count.ts";
import { loadApiKey } from "../../provider-kit/api-key.ts";
import { tokenCount } from "../../provider-kit/count-tokens.ts";
import type { Turn } from "../../turns/types.ts";
import type { ProviderEngineOptions } from "../options.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import { type BackoffOptions, HttpTransport, type RawTap } from "../transport/index.ts";
import type { GeminiInferenceConfig } from "./config.ts";
import { GEMINI_DEFAULT_BASE_URL, geminiProvider } from "./descriptor.ts";
import { geminiErrorFields } from "./finish.ts";
import { GEMINI_PROVIDER } from "./metadata.ts";
import { buildGeminiRequest, type GeminiRequest, geminiPath } from "./request.ts";
import { GeminiStreamHandler } from "./stream.ts";
import type { GeminiResponse } from "./wire.ts";

export { GEMINI_DEFAULT_BASE_URL };

/** Options of {@link createGeminiEngine}. */
export interface GeminiEngineOptions extends ProviderEngineOptions {
  /** Gemini-only defaults (topK, safety settings…); Turn.data overrides them per field. */
  gemini?: GeminiInferenceConfig;
  /**
   * How `streamGenerateContent` streams: `sse` (`?alt=sse`, default) or `json-array` (one JSON array sent
   * element by element, the API's default form).
   */
  streamFormat?: "sse" | "json-array";
  /** Records the raw wire exchange (see `createFixtureTap`). */
  tap?: RawTap;
  /** Retry backoff tuning (tests use small delays). */
  backoff?: BackoffOptions;
}

/**
 * An engine for the Gemini API (`--ai-api-type gemini`).
 *
 * The key comes from `apiKey`, `GEMINI_API_KEY` or `GOOGLE_API_KEY`, the endpoint from `baseURL`,
 * `GEMINI_BASE_URL` or the public API. Thought signatures come back on the blocks of their parts and are sent
 * back on the same parts, so thinking models continue across turns and tool calls.
 *
 * @example
 * const engine = createGeminiEngine({ model: "gemini-2.5-flash", inference: { includeThoughts: true } });
 * const out = await engine.runInference(newTurn([newUserTextBlock("Hello")]), RunContext.background());
 */
export function createGeminiEngine(options: GeminiEngineOptions): GeminiEngine {
  return new GeminiEngine(options);
}

/** See {@link createGeminiEngine}. */
export class GeminiEngine implements Engine {
  readonly #options: GeminiEngineOptions;
  readonly #transport: HttpTransport;
  /** Removes the API key from error messages (the transport knows it). */
  readonly #scrub = (message: string): string => this.#transport.scrub(message);
  readonly #missingKey: CallerError | undefined;

  constructor(options: GeminiEngineOptions) {
    if (!options.model) throw new CallerError("createGeminiEngine: options.model is required");
    this.#options = options;
    const { apiKey, baseURL, missingKey } = loadApiKey(geminiProvider, options);
    this.#missingKey = missingKey;
    const headers: Record<string, string> = { ...options.headers };
    if (apiKey) headers["x-goog-api-key"] = apiKey;
    this.#transport = new HttpTransport({
      provider: GEMINI_PROVIDER,
      baseURL,
      headers,
      errorFields: geminiErrorFields,
      requestIdHeaders: ["x-request-id", "x-goog-request-id"],
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.client ? { client: options.client } : {}),
      ...(options.tap ? { tap: options.tap } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  /** The request body this engine would send for a Turn (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): GeminiRequest {
    const options = this.#options;
    return buildGeminiRequest(turn, {
      model: options.model,
      tools: toolsFromContext(ctx, "gemini"),
      ...(options.inference ? { inference: options.inference } : {}),
      ...(options.gemini ? { gemini: options.gemini } : {}),
      ...(options.tools ? { toolConfig: options.tools } : {}),
      ...(options.structuredOutput ? { structuredOutput: options.structuredOutput } : {}),
    });
  }

  /**
   * The input tokens the Turn would take (`models/{model}:countTokens` with the whole `generateContentRequest`
   * the inference would send, so system instruction and tools count too).
   *
   * @example
   * const tokens = await engine.countTokens(turn, RunContext.background());
   */
  countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    return observeTokenCount(ctx, GEMINI_PROVIDER, this.#options.model, () => this.#countTokens(turn, ctx));
  }

  async #countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    if (this.#missingKey) throw this.#missingKey;
    const { body } = this.buildRequest(turn, ctx);
    const model = this.#options.model;
    const name = /^(models|tunedModels)\//.test(model) ? model : `models/${model}`;
    const response = await this.#transport.postJson<{ totalTokens?: number }>({
      path: `/${name}:countTokens`,
      body: { generateContentRequest: { model: name, ...body } },
      signal: ctx.signal,
    });
    return tokenCount(response.body.totalTokens, GEMINI_PROVIDER);
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    if (this.#missingKey) throw this.#missingKey;
    const { body, warnings } = this.buildRequest(turn, ctx);
    const model = this.#options.model;
    return runWithOutput(
      ctx,
      turn,
      { provider: GEMINI_PROVIDER, model, warnings, scrub: this.#scrub },
      async (out) => {
        const handler = new GeminiStreamHandler(out);
        const handle = (json: string): void => handler.handle(JSON.parse(json) as GeminiResponse);
        if (this.#options.stream ?? true) {
          const format = this.#options.streamFormat ?? "sse";
          const response = await this.#transport.stream(
            { path: geminiPath(model, format), body, signal: ctx.signal, ready: ctx.ready },
            format === "sse" ? "text/event-stream" : "application/json",
          );
          out.ids({ requestId: response.requestId });
          if (format === "sse") await response.sse(handle);
          else await response.jsonArray(handle);
        } else {
          const response = await this.#transport.postJson<GeminiResponse>({
            path: geminiPath(model, "none"),
            body,
            signal: ctx.signal,
          });
          out.ids({ requestId: response.requestId });
          handler.handle(response.body);
        }
        handler.end();
        if (handler.finishReason === undefined) {
          throw streamEndedEarly(GEMINI_PROVIDER, "a finish reason");
        }
      },
    );
  }
}
