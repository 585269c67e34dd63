/**
 * The OpenAI Chat Completions engine (`openai`), also for OpenAI-compatible servers (vLLM, Ollama's /v1,
 * DeepSeek, Azure, the local provider server…).
 */
import type { Engine } from "../../engine/engine.ts";
import { CallerError, ProviderError } from "../../engine/errors.ts";
import type { OpenAIInferenceConfig } from "../../engine/inference-config.ts";
import { runWithOutput } from "../../engine/lifecycle.ts";
import { toolsFromContext } from "../../engine/tools.ts";
import type { RunContext } from "../../events/context.ts";
import { loadApiKey } from "../../provider-kit/api-key.ts";
import type { Turn } from "../../turns/types.ts";
import type { ProviderEngineOptions } from "../options.ts";
import { endsMidJson, streamEndedEarly } from "../transport/errors.ts";
import { HttpTransport } from "../transport/http.ts";
import type { BackoffOptions } from "../transport/retry.ts";
import { OPENAI_DEFAULT_BASE_URL } from "./descriptor.ts";
import { OPENAI_PROFILE, type OpenAICompatibleProfile } from "./profiles.ts";
import { buildChatRequest, type ChatRequestOptions } from "./request.ts";
import { ChatStreamReader, streamError } from "./stream.ts";
import type { ChatChunk, ChatCompletion } from "./wire.ts";

export { OPENAI_DEFAULT_BASE_URL };

/** Options of {@link createOpenAIChatEngine}. */
export interface OpenAIChatEngineOptions extends ProviderEngineOptions {
  /** OpenAI-only defaults (n, penalties, store, service tier, user); Turn.data overrides them per field. */
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
  /** Backoff between retries (tests use small delays). */
  backoff?: BackoffOptions;
  /** `logit_bias`: token id → bias from -100 to 100, sent with every request. */
  logitBias?: Record<string, number>;
}

/**
 * The OpenAI Chat Completions engine. Reads the API key from `OPENAI_API_KEY` and the base URL from
 * `OPENAI_BASE_URL` when not given.
 */
export class OpenAIChatEngine implements Engine {
  readonly #options: OpenAIChatEngineOptions;
  readonly #transport: HttpTransport;
  /** Removes the API key from error messages (the transport knows it). */
  readonly #scrub = (message: string): string => this.#transport.scrub(message);
  readonly #provider: string;
  readonly #profile: OpenAICompatibleProfile;
  readonly #missingKey: CallerError | undefined;

  constructor(options: OpenAIChatEngineOptions) {
    if (!options.model) throw new CallerError("createOpenAIChatEngine: `model` is required");
    for (const [token, bias] of Object.entries(options.logitBias ?? {})) {
      if (!/^\d+$/.test(token) || !(bias >= -100 && bias <= 100)) {
        throw new CallerError(
          `createOpenAIChatEngine: logitBias[${JSON.stringify(token)}] must map a token id to a number from -100 to 100 (got ${JSON.stringify(bias)})`,
          { code: "invalid_inference_config" },
        );
      }
    }
    this.#options = options;
    const profile = options.profile ?? OPENAI_PROFILE;
    this.#profile = profile;
    this.#provider = options.providerName ?? profile.name;
    const { apiKey, baseURL, missingKey } = loadApiKey(
      {
        id: this.#provider,
        settingsKey: profile.name,
        apiKey: { variables: profile.apiKeyVariables, required: profile.keyRequired },
        baseURL: { default: profile.baseURL, variables: profile.baseURLVariables },
      },
      options,
    );
    this.#missingKey = missingKey;
    const auth: Record<string, string> = {};
    if (apiKey) {
      if (profile.authHeader === "api-key") auth["api-key"] = apiKey;
      else auth.authorization = `Bearer ${apiKey}`;
    }
    this.#transport = new HttpTransport({
      provider: this.#provider,
      baseURL,
      headers: { ...auth, ...options.headers },
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.client ? { client: options.client } : {}),
      ...(options.tap ? { tap: options.tap } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  /** Runs one inference. Resolves with the partial Turn when `ctx.signal` aborts. */
  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    if (this.#missingKey) throw this.#missingKey;
    const options = this.#options;
    const stream = options.stream ?? true;
    const warnings: string[] = [];
    const requestOptions: ChatRequestOptions = {
      model: options.model,
      stream,
      tools: toolsFromContext(ctx, options.strictTools ? "openai-strict" : "json-schema"),
      onIgnoredStructuredOutput: (problems) =>
        warnings.push(`structured output config ignored: ${problems.join("; ")}`),
      provider: this.#provider,
      profile: this.#profile,
      onDroppedBlock: (message) => warnings.push(message),
      onWarning: (message) => warnings.push(message),
      cacheMessages: true,
    };
    if (options.inference) requestOptions.inference = options.inference;
    if (options.openai) requestOptions.openai = options.openai;
    if (options.tools) requestOptions.toolConfig = options.tools;
    if (options.structuredOutput) requestOptions.structuredOutput = options.structuredOutput;
    if (options.logitBias) requestOptions.logitBias = options.logitBias;
    const body = buildChatRequest(turn, requestOptions);
    const request = { path: "/chat/completions", body, signal: ctx.signal, ready: ctx.ready };
    const info = { provider: this.#provider, model: options.model, warnings, scrub: this.#scrub };
    return runWithOutput(ctx, turn, info, async (out) => {
      const reader = new ChatStreamReader(out, this.#provider);
      if (!stream) {
        const response = await this.#transport.postJson<ChatCompletion>(request);
        out.ids({ requestId: response.requestId });
        reader.completion(response.body);
        return;
      }
      const response = await this.#transport.stream(request);
      out.ids({ requestId: response.requestId });
      if (response.headers.get("content-type")?.includes("application/json")) {
        // Some compatible servers ignore `stream: true` and answer with one whole completion.
        let text = "";
        await response.text((piece) => {
          text += piece;
        });
        let whole: ChatCompletion & { error?: ChatChunk["error"] };
        try {
          whole = JSON.parse(text) as typeof whole;
        } catch (error) {
          if (endsMidJson(error, text)) throw streamEndedEarly(this.#provider, "its JSON body was complete");
          throw new ProviderError(
            `${this.#provider} returned a body that is not JSON`,
            { provider: this.#provider },
            {
              code: "invalid_response",
            },
          );
        }
        if (whole.error) throw streamError(whole.error, this.#provider);
        reader.completion(whole);
      } else {
        await response.sse(reader.onEvent);
        reader.end();
      }
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
