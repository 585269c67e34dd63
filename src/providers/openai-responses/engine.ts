/**
 * The OpenAI Responses engine: Turn → `POST /responses` → blocks and events, over the shared transport.
 */

import type { Engine } from "../../engine/engine.ts";
import { CallerError } from "../../engine/errors.ts";
import type { OpenAIInferenceConfig } from "../../engine/inference-config.ts";
import { runWithOutput } from "../../engine/lifecycle.ts";
import { toolsFromContext } from "../../engine/tools.ts";
import type { RunContext } from "../../events/context.ts";
import { observeTokenCount } from "../../observability/token-count.ts";
import { loadApiKey } from "../../provider-kit/api-key.ts";
import { tokenCount } from "../../provider-kit/count-tokens.ts";
import type { JsonObject } from "../../turns/json.ts";
import type { Turn } from "../../turns/types.ts";
import { OPENAI_DEFAULT_BASE_URL } from "../openai/descriptor.ts";
import type { ProviderEngineOptions } from "../options.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import { type BackoffOptions, HttpTransport } from "../transport/index.ts";
import { openaiResponsesProvider } from "./descriptor.ts";
import { OPENAI_RESPONSES_PROVIDER } from "./metadata.ts";
import { buildResponsesRequest, type ResponsesRequest } from "./request.ts";
import { ResponsesStreamHandler } from "./stream.ts";
import type { ResponsesResponse, ResponsesStreamEvent } from "./wire.ts";

export { OPENAI_DEFAULT_BASE_URL };

/**
 * Options of {@link createOpenAIResponsesEngine}.
 *
 * @example
 * const options: OpenAIResponsesEngineOptions = { model: "gpt-5-mini", openai: { store: false } };
 */
export interface OpenAIResponsesEngineOptions extends ProviderEngineOptions {
  /** OpenAI-only defaults (store, service tier, user); Turn.data overrides them per field. */
  openai?: OpenAIInferenceConfig;
  /** Provider tools sent as they are, after the function tools, e.g. `[{ type: "web_search" }]`. */
  serverTools?: JsonObject[];
  /**
   * Send function tools in OpenAI strict mode (schemas compiled with the `openai-strict` dialect). Default true;
   * false sends the schemas as written with `strict: false`.
   */
  strictTools?: boolean;
  /** Retry backoff tuning (tests use small delays). */
  backoff?: BackoffOptions;
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
export class OpenAIResponsesEngine implements Engine {
  readonly #options: OpenAIResponsesEngineOptions;
  readonly #transport: HttpTransport;
  /** Removes the API key from error messages (the transport knows it). */
  readonly #scrub = (message: string): string => this.#transport.scrub(message);
  readonly #missingKey: CallerError | undefined;

  constructor(options: OpenAIResponsesEngineOptions) {
    if (!options.model) throw new CallerError("createOpenAIResponsesEngine: options.model is required");
    this.#options = options;
    const { apiKey, baseURL, missingKey } = loadApiKey(openaiResponsesProvider, options);
    this.#missingKey = missingKey;
    const headers: Record<string, string> = { ...options.headers };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    this.#transport = new HttpTransport({
      provider: OPENAI_RESPONSES_PROVIDER,
      baseURL,
      headers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.client ? { client: options.client } : {}),
      ...(options.tap ? { tap: options.tap } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  /** The request body this engine would send for a Turn (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): ResponsesRequest {
    const options = this.#options;
    const strict = options.strictTools ?? true;
    const tools = toolsFromContext(ctx, strict ? "openai-strict" : "json-schema").map((tool) =>
      strict ? tool : { ...tool, strict: false },
    );
    return buildResponsesRequest(turn, {
      model: options.model,
      stream: options.stream ?? true,
      tools,
      ...(options.serverTools ? { serverTools: options.serverTools } : {}),
      ...(options.inference ? { inference: options.inference } : {}),
      ...(options.openai ? { openai: options.openai } : {}),
      ...(options.tools ? { toolConfig: options.tools } : {}),
      ...(options.structuredOutput ? { structuredOutput: options.structuredOutput } : {}),
    });
  }

  /**
   * The input tokens the Turn would take (`POST /responses/input_tokens`), from the same request builder as
   * the inference, so images, tools and instructions count as they will be sent.
   *
   * @example
   * const tokens = await engine.countTokens(turn, RunContext.background());
   */
  countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    return observeTokenCount(ctx, OPENAI_RESPONSES_PROVIDER, this.#options.model, () =>
      this.#countTokens(turn, ctx),
    );
  }

  async #countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    if (this.#missingKey) throw this.#missingKey;
    const { body } = this.buildRequest(turn, ctx);
    const { stream: _stream, include: _include, store: _store, ...counted } = body;
    const response = await this.#transport.postJson<{ input_tokens?: number }>({
      path: "/responses/input_tokens",
      body: counted,
      signal: ctx.signal,
    });
    return tokenCount(response.body.input_tokens, OPENAI_RESPONSES_PROVIDER);
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    if (this.#missingKey) throw this.#missingKey;
    const { body, warnings } = this.buildRequest(turn, ctx);
    const info = {
      provider: OPENAI_RESPONSES_PROVIDER,
      model: this.#options.model,
      warnings,
      scrub: this.#scrub,
    };
    return runWithOutput(ctx, turn, info, async (out) => {
      const strict = this.#options.strictTools ?? true;
      const strictSchemas = new Map<string, unknown>(
        strict ? toolsFromContext(ctx, "json-schema").map((tool) => [tool.name, tool.parameters]) : [],
      );
      const handler = new ResponsesStreamHandler(out, strictSchemas);
      if (body.stream) {
        const response = await this.#transport.stream({
          path: "/responses",
          body,
          signal: ctx.signal,
          ready: ctx.ready,
        });
        out.ids({ requestId: response.requestId });
        await response.sse((data) => {
          if (data === "[DONE]") return;
          handler.handle(JSON.parse(data) as ResponsesStreamEvent);
          // An `error` event (or `response.failed`) ends the inference even when the connection stays open.
          if (handler.outcome.kind === "failed") throw handler.outcome.error;
        });
      } else {
        const response = await this.#transport.postJson<ResponsesResponse>({
          path: "/responses",
          body,
          signal: ctx.signal,
        });
        out.ids({ requestId: response.requestId });
        handler.handleResponse(response.body);
      }
      const outcome = handler.outcome;
      if (outcome.kind === "failed") throw outcome.error;
      if (outcome.kind === "open") {
        throw streamEndedEarly(OPENAI_RESPONSES_PROVIDER, "response.completed");
      }
    });
  }
}
