/**
 * The OpenAI Responses engine: Turn → `POST /responses` → blocks and events, over the shared transport.
 */

import type { Engine } from "../../engine/engine.ts";
import { KeyOpenAIInferenceConfig, type OpenAIInferenceConfig } from "../../engine/inference-config.ts";
import type { RunContext } from "../../events/context.ts";
import { observedTokenCount, tokenCount } from "../../provider-kit/count-tokens.ts";
import { HttpEngine, type HttpEngineOptions } from "../../provider-kit/http-engine.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import type { JsonObject } from "../../turns/json.ts";
import type { Turn } from "../../turns/types.ts";
import { OPENAI_DEFAULT_BASE_URL } from "../openai/descriptor.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import { OPENAI_RESPONSES_PROVIDER, openaiResponsesProvider } from "./descriptor.ts";
import {
  buildResponsesCountRequest,
  buildResponsesRequest,
  type ResponsesRequest,
  type ResponsesRequestOptions,
} from "./request.ts";
import { ResponsesStreamHandler } from "./stream.ts";
import type { ResponsesResponse, ResponsesStreamEvent } from "./wire.ts";

export { OPENAI_DEFAULT_BASE_URL };

/**
 * Options of {@link createOpenAIResponsesEngine}.
 *
 * @example
 * const options: OpenAIResponsesEngineOptions = { model: "gpt-5-mini", openai: { store: false } };
 */
export interface OpenAIResponsesEngineOptions extends HttpEngineOptions {
  /** OpenAI-only defaults (store, service tier, user); Turn.data overrides them per field. */
  openai?: OpenAIInferenceConfig;
  /** Provider tools sent as they are, after the function tools, e.g. `[{ type: "web_search" }]`. */
  serverTools?: JsonObject[];
  /**
   * Send function tools in OpenAI strict mode (schemas compiled with the `openai-strict` dialect). Default true;
   * false sends the schemas as written with `strict: false`.
   */
  strictTools?: boolean;
}

/**
 * An engine for the OpenAI Responses API (`--ai-api-type openai-responses`).
 *
 * The key comes from `apiKey` or `OPENAI_API_KEY` and the endpoint from `baseURL`, `OPENAI_BASE_URL` or the
 * public API. Reasoning items come back as reasoning blocks with their item id, summary and encrypted content,
 * and are sent back on the next turn, so a conversation continues without server-side state.
 *
 * @example
 * const engine = createOpenAIResponsesEngine({ model: "gpt-5-mini", inference: { reasoningSummary: "auto" } });
 * const out = await engine.runInference(newTurn([newUserTextBlock("Hello")]), RunContext.background());
 */
export function createOpenAIResponsesEngine(options: OpenAIResponsesEngineOptions): OpenAIResponsesEngine {
  return new OpenAIResponsesEngine(options);
}

/**
 * See {@link createOpenAIResponsesEngine}. `buildRequest` shows the body a Turn would be sent as.
 *
 * @example
 * const { body } = new OpenAIResponsesEngine({ model: "gpt-5-mini" }).buildRequest(turn, ctx);
 */
export class OpenAIResponsesEngine extends HttpEngine<OpenAIResponsesEngineOptions> implements Engine {
  constructor(options: OpenAIResponsesEngineOptions) {
    super(options, {
      factory: "createOpenAIResponsesEngine",
      provider: OPENAI_RESPONSES_PROVIDER,
      source: openaiResponsesProvider,
      auth: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
    });
  }

  #prepare(turn: Turn, ctx: RunContext): PreparedInference<OpenAIInferenceConfig> {
    const options = this.options;
    const strict = options.strictTools ?? true;
    const prepared = this.prepare(turn, ctx, strict ? "openai-strict" : "json-schema", {
      key: KeyOpenAIInferenceConfig,
      defaults: options.openai,
    });
    if (!strict) prepared.tools = prepared.tools.map((tool) => ({ ...tool, strict: false }));
    return prepared;
  }

  #options(): ResponsesRequestOptions {
    const { model, serverTools } = this.options;
    return { model, stream: this.streaming, cacheMessages: true, ...(serverTools ? { serverTools } : {}) };
  }

  #build(prepared: PreparedInference<OpenAIInferenceConfig>): ResponsesRequest {
    return buildResponsesRequest(prepared, this.#options());
  }

  /** The request body this engine would send for a Turn (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): ResponsesRequest {
    return this.#build(this.#prepare(turn, ctx));
  }

  /**
   * The input tokens the Turn would take (`POST /responses/input_tokens`), from the same request builder as the
   * inference (instructions, tools and images count as they will be sent).
   *
   * @example
   * const tokens = await engine.countTokens(turn, RunContext.background());
   */
  countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    return observedTokenCount(ctx, OPENAI_RESPONSES_PROVIDER, this.options.model, () =>
      this.#countTokens(turn, ctx),
    );
  }

  async #countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    const { body } = buildResponsesCountRequest(this.#prepare(turn, ctx), this.#options());
    const answer = await this.postJson<{ input_tokens?: number }>("/responses/input_tokens", body, ctx);
    return tokenCount(answer.input_tokens, OPENAI_RESPONSES_PROVIDER);
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    const prepared = this.#prepare(turn, ctx);
    const { body } = this.#build(prepared);
    return this.exchange<ResponsesResponse>(turn, ctx, prepared, (out) => {
      const handler = new ResponsesStreamHandler(out);
      return {
        path: "/responses",
        body,
        framing: body.stream ? "sse" : undefined,
        onEvent: (data) => {
          if (data === "[DONE]") return;
          handler.handle(JSON.parse(data) as ResponsesStreamEvent);
          // An `error` event (or `response.failed`) ends the inference even when the connection stays open.
          if (handler.outcome.kind === "failed") throw handler.outcome.error;
        },
        onWhole: (response) => handler.handleResponse(response),
        end: () => {
          const outcome = handler.outcome;
          if (outcome.kind === "failed") throw outcome.error;
          if (outcome.kind === "open")
            throw streamEndedEarly(OPENAI_RESPONSES_PROVIDER, "response.completed");
        },
      };
    });
  }
}
