/**
 * The Anthropic Messages engine: Turn → `POST /v1/messages` → blocks and events, over the shared transport.
 */

import type { Engine } from "../../engine/engine.ts";
import { type ClaudeInferenceConfig, KeyClaudeInferenceConfig } from "../../engine/inference-config.ts";
import type { RunContext } from "../../events/context.ts";
import { observedTokenCount, tokenCount } from "../../provider-kit/count-tokens.ts";
import { HttpEngine, type HttpEngineOptions } from "../../provider-kit/http-engine.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import type { JsonObject } from "../../turns/json.ts";
import type { Turn } from "../../turns/types.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import { ANTHROPIC_DEFAULT_BASE_URL, ANTHROPIC_PROVIDER, anthropicProvider } from "./descriptor.ts";
import {
  buildClaudeCountRequest,
  buildClaudeRequest,
  type ClaudeRequest,
  type ClaudeRequestOptions,
} from "./request.ts";
import { ClaudeStreamHandler } from "./stream.ts";
import type { AnthropicResponseMessage } from "./wire.ts";

export { ANTHROPIC_DEFAULT_BASE_URL };
/** The `anthropic-version` header value sent with every request. */
export const ANTHROPIC_VERSION = "2023-06-01";

/**
 * Options of {@link createClaudeEngine}.
 *
 * @example
 * const options: ClaudeEngineOptions = { model: "claude-sonnet-4-5", claude: { promptCaching: true } };
 */
export interface ClaudeEngineOptions extends HttpEngineOptions {
  /** Anthropic-only defaults (user id, top_k, prompt caching); Turn.data overrides them per field. */
  claude?: ClaudeInferenceConfig;
  /** Server tools sent as they are, after the client tools, e.g. `[{ type: "web_search_20250305", name: "web_search" }]`. */
  serverTools?: JsonObject[];
  /** `anthropic-version` header (default {@link ANTHROPIC_VERSION}). */
  anthropicVersion?: string;
  /** Extra `anthropic-beta` values sent with every request. */
  betas?: string[];
}

/**
 * An engine for the Anthropic Messages API (`--ai-api-type claude`, also `anthropic`).
 *
 * The key comes from `apiKey` or `ANTHROPIC_API_KEY` (sent as `x-api-key`), the endpoint from `baseURL`,
 * `ANTHROPIC_BASE_URL` or the public API. Thinking blocks come back with their signature and redacted thinking
 * with its opaque data; both are sent back unchanged on the next turn.
 *
 * @example
 * const engine = createClaudeEngine({ model: "claude-sonnet-4-5", inference: { thinkingBudget: 2048 } });
 * const out = await engine.runInference(newTurn([newUserTextBlock("Hello")]), RunContext.background());
 */
export function createClaudeEngine(options: ClaudeEngineOptions): ClaudeEngine {
  return new ClaudeEngine(options);
}

/**
 * See {@link createClaudeEngine}. `buildRequest` shows the body a Turn would be sent as.
 *
 * @example
 * const { body } = new ClaudeEngine({ model: "claude-sonnet-4-5" }).buildRequest(turn, ctx);
 */
export class ClaudeEngine extends HttpEngine<ClaudeEngineOptions> implements Engine {
  readonly #path: string;

  constructor(options: ClaudeEngineOptions) {
    super(options, {
      factory: "createClaudeEngine",
      provider: ANTHROPIC_PROVIDER,
      source: anthropicProvider,
      auth: (apiKey) => ({ "x-api-key": apiKey }),
      headers: { "anthropic-version": options.anthropicVersion ?? ANTHROPIC_VERSION },
      requestIdHeaders: ["request-id", "x-request-id"],
    });
    // The documented base URL has no version; one that ends in /v1 is accepted too.
    this.#path = /\/v1\/?$/.test(this.baseURL) ? "/messages" : "/v1/messages";
  }

  #prepare(turn: Turn, ctx: RunContext): PreparedInference<ClaudeInferenceConfig> {
    return this.prepare(turn, ctx, "json-schema", {
      key: KeyClaudeInferenceConfig,
      defaults: this.options.claude,
    });
  }

  #options(): ClaudeRequestOptions {
    const { model, serverTools } = this.options;
    return { model, stream: this.streaming, cacheMessages: true, ...(serverTools ? { serverTools } : {}) };
  }

  #build(prepared: PreparedInference<ClaudeInferenceConfig>): ClaudeRequest {
    return buildClaudeRequest(prepared, this.#options());
  }

  /** The request body this engine would send for a Turn (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): ClaudeRequest {
    return this.#build(this.#prepare(turn, ctx));
  }

  /** The `anthropic-beta` header of a request: the configured betas and the ones its body needs. */
  #betas(needed: string[]): Record<string, string> | undefined {
    const all = [...(this.options.betas ?? []), ...needed];
    return all.length > 0 ? { "anthropic-beta": all.join(",") } : undefined;
  }

  /**
   * The input tokens the Turn would take (`POST /v1/messages/count_tokens`), from the same request builder as
   * the inference (system, tools, thinking and images count as they will be sent).
   *
   * @example
   * const tokens = await engine.countTokens(turn, RunContext.background());
   */
  countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    return observedTokenCount(ctx, ANTHROPIC_PROVIDER, this.options.model, () =>
      this.#countTokens(turn, ctx),
    );
  }

  async #countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    const { body, betas } = buildClaudeCountRequest(this.#prepare(turn, ctx), this.#options());
    const path = `${this.#path}/count_tokens`;
    const answer = await this.postJson<{ input_tokens?: number }>(path, body, ctx, this.#betas(betas));
    return tokenCount(answer.input_tokens, ANTHROPIC_PROVIDER);
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    const prepared = this.#prepare(turn, ctx);
    const { body, betas } = this.#build(prepared);
    return this.exchange<AnthropicResponseMessage>(turn, ctx, prepared, (out) => {
      const handler = new ClaudeStreamHandler(out);
      return {
        path: this.#path,
        body,
        headers: this.#betas(betas),
        framing: body.stream ? "sse" : undefined,
        // An `error` event ends the inference even when the connection stays open (handleData throws it).
        onEvent: (data) => handler.handleData(data),
        onWhole: (message) => handler.handleMessage(message),
        end: () => {
          const outcome = handler.outcome;
          if (outcome.kind === "failed") throw outcome.error;
          if (outcome.kind === "open") throw streamEndedEarly(ANTHROPIC_PROVIDER, "message_stop");
        },
      };
    });
  }
}
