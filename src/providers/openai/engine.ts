/**
 * The OpenAI Chat Completions engine (`openai`), also for OpenAI-compatible servers (vLLM, Ollama's /v1,
 * DeepSeek, Azure, the local provider server…): the HTTP skeleton of the provider kit plus the Chat request
 * builder and stream reader.
 */
import type { Engine } from "../../engine/engine.ts";
import { CallerError } from "../../engine/errors.ts";
import {
  engineConfigChecks,
  KeyOpenAIInferenceConfig,
  type OpenAIInferenceConfig,
} from "../../engine/inference-config.ts";
import { formatIssues } from "../../engine/validation.ts";
import type { RunContext } from "../../events/context.ts";
import { HttpEngine, type HttpEngineOptions } from "../../provider-kit/http-engine.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import type { Turn } from "../../turns/types.ts";
import { OPENAI_DEFAULT_BASE_URL, OPENAI_PROFILE, type OpenAICompatibleProfile } from "./descriptor.ts";
import { buildChatRequest, type ChatRequestBuild } from "./request.ts";
import { ChatStreamReader } from "./stream.ts";
import type { ChatCompletion } from "./wire.ts";

export { OPENAI_DEFAULT_BASE_URL };

/**
 * Options of {@link createOpenAIChatEngine}.
 *
 * @example
 * const options: OpenAIChatEngineOptions = { model: "gpt-4o-mini", openai: { logitBias: { "50256": -100 } } };
 */
export interface OpenAIChatEngineOptions extends HttpEngineOptions {
  /** OpenAI-only defaults (n, penalties, store, service tier, user, logit bias); Turn.data overrides them per field. */
  openai?: OpenAIInferenceConfig;
  /** Offer tools in OpenAI strict mode (`strict: true` where the schema allows it). Default false. */
  strictTools?: boolean;
  /**
   * An OpenAI-compatible server's profile (DeepSeek, OpenRouter, vLLM, Ollama's /v1, Azure, or your own): its
   * key variables, endpoint, token-limit and reasoning fields. Default: OpenAI itself.
   */
  profile?: OpenAICompatibleProfile;
  /** Provider name in events and results (default: the profile's name, `openai` without one). */
  providerName?: string;
}

/**
 * The OpenAI Chat Completions engine. Reads the API key from `OPENAI_API_KEY` and the base URL from
 * `OPENAI_BASE_URL` when not given.
 *
 * @example
 * const { body } = new OpenAIChatEngine({ model: "gpt-4o-mini" }).buildRequest(turn, ctx);
 */
export class OpenAIChatEngine extends HttpEngine<OpenAIChatEngineOptions> implements Engine {
  readonly #profile: OpenAICompatibleProfile;

  constructor(options: OpenAIChatEngineOptions) {
    const profile = options.profile ?? OPENAI_PROFILE;
    const provider = options.providerName ?? profile.name;
    super(options, {
      factory: "createOpenAIChatEngine",
      provider,
      source: {
        id: provider,
        settingsKey: profile.name,
        apiKey: { variables: profile.apiKeyVariables, required: profile.keyRequired },
        baseURL: { default: profile.baseURL, variables: profile.baseURLVariables },
      },
      auth: (apiKey) =>
        profile.authHeader === "api-key" ? { "api-key": apiKey } : { authorization: `Bearer ${apiKey}` },
    });
    this.#profile = profile;
    const checked = engineConfigChecks.openaiInferenceConfig.validate(options.openai ?? {});
    if (!checked.ok) {
      throw new CallerError(`createOpenAIChatEngine: openai.${formatIssues(checked.issues)}`, {
        code: "invalid_inference_config",
      });
    }
  }

  #prepare(turn: Turn, ctx: RunContext): PreparedInference<OpenAIInferenceConfig> {
    const options = this.options;
    return this.prepare(turn, ctx, options.strictTools ? "openai-strict" : "json-schema", {
      key: KeyOpenAIInferenceConfig,
      defaults: options.openai,
    });
  }

  #build(prepared: PreparedInference<OpenAIInferenceConfig>): ChatRequestBuild {
    const options = { model: this.options.model, stream: this.streaming, provider: this.provider };
    return buildChatRequest(prepared, { ...options, profile: this.#profile, cacheMessages: true });
  }

  /** The request body this engine would send for a Turn, and its warnings (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): ChatRequestBuild {
    return this.#build(this.#prepare(turn, ctx));
  }

  /**
   * Runs one inference. Resolves with the partial Turn when `ctx.signal` aborts. With `strictTools`, the `null`
   * of an optional argument (strict mode made it required and nullable) is read as absent.
   */
  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    const prepared = this.#prepare(turn, ctx);
    const { body } = this.#build(prepared);
    return this.exchange<ChatCompletion>(turn, ctx, prepared, (out) => {
      const reader = new ChatStreamReader(out, this.provider);
      const framing = this.streaming ? "sse" : undefined;
      const exchange = { path: "/chat/completions", body, framing, end: reader.end } as const;
      return { ...exchange, onEvent: reader.onEvent, onWhole: reader.completion };
    });
  }
}

/**
 * Creates the OpenAI Chat Completions engine.
 *
 * @example
 * const engine = createOpenAIChatEngine({ model: "gpt-4o-mini" }); // OPENAI_API_KEY from the environment
 * const answer = await engine.runInference(appendBlock(newTurn(), newUserTextBlock("Hi")), RunContext.background());
 */
export function createOpenAIChatEngine(options: OpenAIChatEngineOptions): OpenAIChatEngine {
  return new OpenAIChatEngine(options);
}
