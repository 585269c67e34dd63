/**
 * The Anthropic Messages engine: Turn → `POST /v1/messages` → blocks and events, over the shared transport.
 */

import type { Engine } from "../../engine/engine.ts";
import { CallerError } from "../../engine/errors.ts";
import type { ClaudeInferenceConfig } from "../../engine/inference-config.ts";
import { runWithOutput } from "../../engine/lifecycle.ts";
import { toolsFromContext } from "../../engine/tools.ts";
import type { RunContext } from "../../events/context.ts";
import { observeTokenCount } from "../../observability/token-count.ts";
import { loadApiKey } from "../../provider-kit/api-key.ts";
import { tokenCount } from "../../provider-kit/count-tokens.ts";
import type { JsonObject } from "../../turns/json.ts";
import type { Turn } from "../../turns/types.ts";
import type { ProviderEngineOptions } from "../options.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import { type BackoffOptions, HttpTransport } from "../transport/index.ts";
import { ANTHROPIC_DEFAULT_BASE_URL, anthropicProvider } from "./descriptor.ts";
import { ANTHROPIC_PROVIDER } from "./metadata.ts";
import { buildClaudeRequest, type ClaudeRequest } from "./request.ts";
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
export interface ClaudeEngineOptions extends ProviderEngineOptions {
  /** Anthropic-only defaults (user id, top_k, prompt caching); Turn.data overrides them per field. */
  claude?: ClaudeInferenceConfig;
  /** Server tools sent as they are, after the client tools, e.g. `[{ type: "web_search_20250305", name: "web_search" }]`. */
  serverTools?: JsonObject[];
  /** `anthropic-version` header (default {@link ANTHROPIC_VERSION}). */
  anthropicVersion?: string;
  /** Extra `anthropic-beta` values sent with every request. */
  betas?: string[];
  /** Retry backoff tuning (tests use small delays). */
  backoff?: BackoffOptions;
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
export class ClaudeEngine implements Engine {
  readonly #options: ClaudeEngineOptions;
  readonly #transport: HttpTransport;
  /** Removes the API key from error messages (the transport knows it). */
  readonly #scrub = (message: string): string => this.#transport.scrub(message);
  readonly #missingKey: CallerError | undefined;
  readonly #path: string;

  constructor(options: ClaudeEngineOptions) {
    if (!options.model) throw new CallerError("createClaudeEngine: options.model is required");
    this.#options = options;
    const { apiKey, baseURL, missingKey } = loadApiKey(anthropicProvider, options);
    this.#missingKey = missingKey;
    // The documented base URL has no version; one that ends in /v1 is accepted too.
    this.#path = /\/v1\/?$/.test(baseURL) ? "/messages" : "/v1/messages";
    const headers: Record<string, string> = {
      "anthropic-version": options.anthropicVersion ?? ANTHROPIC_VERSION,
      ...options.headers,
    };
    if (apiKey) headers["x-api-key"] = apiKey;
    this.#transport = new HttpTransport({
      provider: ANTHROPIC_PROVIDER,
      baseURL,
      headers,
      requestIdHeaders: ["request-id", "x-request-id"],
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.client ? { client: options.client } : {}),
      ...(options.tap ? { tap: options.tap } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  /** The request body this engine would send for a Turn (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): ClaudeRequest {
    const options = this.#options;
    return buildClaudeRequest(turn, {
      model: options.model,
      stream: options.stream ?? true,
      tools: toolsFromContext(ctx, "json-schema"),
      ...(options.serverTools ? { serverTools: options.serverTools } : {}),
      ...(options.inference ? { inference: options.inference } : {}),
      ...(options.claude ? { claude: options.claude } : {}),
      ...(options.tools ? { toolConfig: options.tools } : {}),
      ...(options.structuredOutput ? { structuredOutput: options.structuredOutput } : {}),
    });
  }

  /**
   * The input tokens the Turn would take (`POST /v1/messages/count_tokens`), from the same request builder as
   * the inference (system, tools, thinking and images count as they will be sent).
   *
   * @example
   * const tokens = await engine.countTokens(turn, RunContext.background());
   */
  countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    return observeTokenCount(ctx, ANTHROPIC_PROVIDER, this.#options.model, () =>
      this.#countTokens(turn, ctx),
    );
  }

  async #countTokens(turn: Turn, ctx: RunContext): Promise<number> {
    if (this.#missingKey) throw this.#missingKey;
    const { body, betas } = this.buildRequest(turn, ctx);
    const { messages, system, tools, tool_choice, thinking, model } = body;
    const counted = { model, messages, ...(system ? { system } : {}), ...(tools ? { tools } : {}) };
    Object.assign(counted, tool_choice ? { tool_choice } : {}, thinking ? { thinking } : {});
    const allBetas = [...(this.#options.betas ?? []), ...betas];
    const response = await this.#transport.postJson<{ input_tokens?: number }>({
      path: `${this.#path}/count_tokens`,
      body: counted,
      signal: ctx.signal,
      ...(allBetas.length > 0 ? { headers: { "anthropic-beta": allBetas.join(",") } } : {}),
    });
    return tokenCount(response.body.input_tokens, ANTHROPIC_PROVIDER);
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    if (this.#missingKey) throw this.#missingKey;
    const { body, betas, warnings } = this.buildRequest(turn, ctx);
    const allBetas = [...(this.#options.betas ?? []), ...betas];
    const headers = allBetas.length > 0 ? { "anthropic-beta": allBetas.join(",") } : undefined;
    const request = {
      path: this.#path,
      body,
      signal: ctx.signal,
      ready: ctx.ready,
      ...(headers ? { headers } : {}),
    };
    return runWithOutput(
      ctx,
      turn,
      { provider: ANTHROPIC_PROVIDER, model: this.#options.model, warnings, scrub: this.#scrub },
      async (out) => {
        const handler = new ClaudeStreamHandler(out);
        if (body.stream) {
          const response = await this.#transport.stream(request);
          out.ids({ requestId: response.requestId });
          await response.sse((data) => handler.handleData(data));
        } else {
          const response = await this.#transport.postJson<AnthropicResponseMessage>(request);
          out.ids({ requestId: response.requestId });
          handler.handleMessage(response.body);
        }
        const outcome = handler.outcome;
        if (outcome.kind === "failed") throw outcome.error;
        if (outcome.kind === "open") {
          throw streamEndedEarly(ANTHROPIC_PROVIDER, "message_stop");
        }
      },
    );
  }
}
