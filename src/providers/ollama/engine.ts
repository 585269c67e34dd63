/**
 * The Ollama engine: Turn → `POST /api/chat` → blocks and events, over the shared transport (NDJSON stream).
 */

import type { Engine } from "../../engine/engine.ts";
import { CallerError } from "../../engine/errors.ts";
import { runWithOutput } from "../../engine/lifecycle.ts";
import { toolsFromContext } from "../../engine/tools.ts";
import type { RunContext } from "../../events/context.ts";
import { loadApiKey } from "../../provider-kit/api-key.ts";
import type { Turn } from "../../turns/types.ts";
import type { ProviderEngineOptions } from "../options.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import { type BackoffOptions, HttpTransport, type RawTap } from "../transport/index.ts";
import type { OllamaInferenceConfig } from "./config.ts";
import { OLLAMA_DEFAULT_BASE_URL, ollamaProvider } from "./descriptor.ts";
import { KeyOllamaTimings, OLLAMA_PROVIDER } from "./metadata.ts";
import { buildOllamaRequest, type OllamaRequest } from "./request.ts";
import { OllamaStreamHandler } from "./stream.ts";
import type { OllamaChatChunk } from "./wire.ts";

export { OLLAMA_DEFAULT_BASE_URL };

/** Options of {@link createOllamaEngine}. */
export interface OllamaEngineOptions extends ProviderEngineOptions {
  /** Ollama-only defaults (top_k, num_ctx, keep_alive, raw options); Turn.data overrides them per field. */
  ollama?: OllamaInferenceConfig;
  /** Records the raw wire exchange (see `createFixtureTap`). */
  tap?: RawTap;
  /** Retry backoff tuning (tests use small delays). */
  backoff?: BackoffOptions;
}

/**
 * The base URL from `OLLAMA_HOST` (or `baseURL`) as Ollama reads it: a scheme is optional (http), and without
 * a scheme so is the port (11434). Empty gives the default local server.
 *
 * @example
 * ollamaBaseURL("0.0.0.0") // "http://0.0.0.0:11434"
 * ollamaBaseURL("https://ollama.com") // "https://ollama.com"
 */
export function ollamaBaseURL(host: string | undefined): string {
  const value = host?.trim();
  if (!value) return OLLAMA_DEFAULT_BASE_URL;
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `http://${value}`;
  const url = new URL(withScheme);
  if (!url.port && !/^[a-z]+:\/\//i.test(value)) url.port = "11434";
  return url.toString().replace(/\/$/, "");
}

/**
 * An engine for Ollama's native chat API (`--ai-api-type ollama`).
 *
 * The server comes from `baseURL`, `OLLAMA_HOST` or `http://127.0.0.1:11434` (a host without scheme is read as
 * Ollama reads `OLLAMA_HOST`). No key is needed for a local
 * server; `apiKey` or `OLLAMA_API_KEY` is sent as a bearer token (Ollama Cloud).
 *
 * @example
 * const engine = createOllamaEngine({ model: "qwen3:8b", inference: { reasoningEffort: "low" } });
 * const out = await engine.runInference(newTurn([newUserTextBlock("Hello")]), RunContext.background());
 */
export function createOllamaEngine(options: OllamaEngineOptions): Engine {
  return new OllamaEngine(options);
}

/** See {@link createOllamaEngine}. */
export class OllamaEngine implements Engine {
  readonly #options: OllamaEngineOptions;
  readonly #transport: HttpTransport;
  /** Removes the API key from error messages (the transport knows it). */
  readonly #scrub = (message: string): string => this.#transport.scrub(message);

  constructor(options: OllamaEngineOptions) {
    if (!options.model) throw new CallerError("createOllamaEngine: options.model is required");
    this.#options = options;
    const { apiKey, baseURL } = loadApiKey(ollamaProvider, options);
    const headers: Record<string, string> = { ...options.headers };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    this.#transport = new HttpTransport({
      provider: OLLAMA_PROVIDER,
      baseURL: ollamaBaseURL(baseURL),
      headers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.client ? { client: options.client } : {}),
      ...(options.tap ? { tap: options.tap } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  /** The request body this engine would send for a Turn (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): OllamaRequest {
    const options = this.#options;
    return buildOllamaRequest(turn, {
      model: options.model,
      stream: options.stream ?? true,
      tools: toolsFromContext(ctx, "json-schema"),
      cacheMessages: true,
      ...(options.inference ? { inference: options.inference } : {}),
      ...(options.ollama ? { ollama: options.ollama } : {}),
      ...(options.tools ? { toolConfig: options.tools } : {}),
      ...(options.structuredOutput ? { structuredOutput: options.structuredOutput } : {}),
    });
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    const { body, warnings } = this.buildRequest(turn, ctx);
    let handler: OllamaStreamHandler | undefined;
    const info = { provider: OLLAMA_PROVIDER, model: this.#options.model, warnings, scrub: this.#scrub };
    const finished = await runWithOutput(ctx, turn, info, async (out) => {
      handler = new OllamaStreamHandler(out);
      const stream = handler;
      if (body.stream) {
        const response = await this.#transport.stream(
          { path: "/api/chat", body, signal: ctx.signal, ready: ctx.ready },
          "application/x-ndjson",
        );
        out.ids({ requestId: response.requestId });
        await response.ndjson((line) => stream.handle(JSON.parse(line) as OllamaChatChunk));
      } else {
        const response = await this.#transport.postJson<OllamaChatChunk>({
          path: "/api/chat",
          body,
          signal: ctx.signal,
        });
        out.ids({ requestId: response.requestId });
        stream.handle(response.body);
      }
      if (!stream.done) {
        throw streamEndedEarly(OLLAMA_PROVIDER, "its done line");
      }
    });
    const timings = handler?.timings;
    return timings ? KeyOllamaTimings.set(finished, timings) : finished;
  }
}
