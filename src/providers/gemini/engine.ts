/**
 * The Gemini engine: Turn → `models/{model}:streamGenerateContent` (or `:generateContent`) → blocks and events,
 * over the shared transport. The API key travels in the `x-goog-api-key` header, never in the URL.
 */

import type { Engine } from "../../engine/engine.ts";
import type { RunContext } from "../../events/context.ts";
import { observedTokenCount, tokenCount } from "../../provider-kit/count-tokens.ts";
import { HttpEngine, type HttpEngineOptions } from "../../provider-kit/http-engine.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import type { Turn } from "../../turns/types.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import {
  GEMINI_DEFAULT_BASE_URL,
  GEMINI_PROVIDER,
  type GeminiInferenceConfig,
  geminiProvider,
  KeyGeminiInferenceConfig,
} from "./descriptor.ts";
import { buildGeminiCountRequest, buildGeminiRequest, type GeminiRequest, geminiPath } from "./request.ts";
import { GeminiStreamHandler } from "./stream.ts";
import { geminiErrorFields } from "./stream-finish.ts";
import type { GeminiResponse } from "./wire.ts";

export { GEMINI_DEFAULT_BASE_URL };

/** Options of {@link createGeminiEngine}. */
export interface GeminiEngineOptions extends HttpEngineOptions {
  /** Gemini-only defaults (topK, safety settings…); Turn.data overrides them per field. */
  gemini?: GeminiInferenceConfig;
  /**
   * How `streamGenerateContent` streams: `sse` (`?alt=sse`, default) or `json-array` (one JSON array sent
   * element by element, the API's default form).
   */
  streamFormat?: "sse" | "json-array";
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

/**
 * See {@link createGeminiEngine}. `buildRequest` shows the body a Turn would be sent as.
 *
 * @example
 * const { body } = new GeminiEngine({ model: "gemini-2.5-flash" }).buildRequest(turn, ctx);
 */
export class GeminiEngine extends HttpEngine<GeminiEngineOptions> implements Engine {
  constructor(options: GeminiEngineOptions) {
    super(options, {
      factory: "createGeminiEngine",
      provider: GEMINI_PROVIDER,
      source: geminiProvider,
      auth: (apiKey) => ({ "x-goog-api-key": apiKey }),
      errorFields: geminiErrorFields,
      requestIdHeaders: ["x-request-id", "x-goog-request-id"],
    });
  }

  #prepare(turn: Turn, ctx: RunContext): PreparedInference<GeminiInferenceConfig> {
    return this.prepare(turn, ctx, "gemini", {
      key: KeyGeminiInferenceConfig,
      defaults: this.options.gemini,
    });
  }

  /** The request body this engine would send for a Turn (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): GeminiRequest {
    return buildGeminiRequest(this.#prepare(turn, ctx), { model: this.options.model, cacheMessages: true });
  }

  /**
   * The input tokens the Turn would take (`POST /models/{model}:countTokens`), from the same request builder as
   * the inference (system instruction, tools and images count as they will be sent).
   *
   * @example
   * const tokens = await engine.countTokens(turn, RunContext.background());
   */
  countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    return observedTokenCount(ctx, GEMINI_PROVIDER, this.options.model, () => this.#countTokens(turn, ctx));
  }

  async #countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    const model = this.options.model;
    const { body } = buildGeminiCountRequest(this.#prepare(turn, ctx), { model, cacheMessages: true });
    const answer = await this.postJson<{ totalTokens?: number }>(geminiPath(model, "count"), body, ctx);
    return tokenCount(answer.totalTokens, GEMINI_PROVIDER);
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    const prepared = this.#prepare(turn, ctx);
    const model = this.options.model;
    const { body } = buildGeminiRequest(prepared, { model, cacheMessages: true });
    const format = this.streaming ? (this.options.streamFormat ?? "sse") : "none";
    return this.exchange<GeminiResponse>(turn, ctx, prepared, (out) => {
      const handler = new GeminiStreamHandler(out);
      const whole = (response: GeminiResponse): void => handler.handle(response);
      return {
        path: geminiPath(model, format),
        body,
        framing: format === "none" ? undefined : format,
        onEvent: (json) => whole(JSON.parse(json) as GeminiResponse),
        onWhole: whole,
        end: () => {
          handler.end();
          if (handler.finishReason === undefined) throw streamEndedEarly(GEMINI_PROVIDER, "a finish reason");
        },
      };
    });
  }
}
