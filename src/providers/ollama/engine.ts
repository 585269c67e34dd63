/**
 * The Ollama engine: Turn → `POST /api/chat` → blocks and events, over the shared transport (NDJSON stream).
 */

import type { Engine } from "../../engine/engine.ts";
import type { RunContext } from "../../events/context.ts";
import { HttpEngine, type HttpEngineOptions } from "../../provider-kit/http-engine.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import type { Turn } from "../../turns/types.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import {
  KeyOllamaInferenceConfig,
  KeyOllamaTimings,
  OLLAMA_DEFAULT_BASE_URL,
  OLLAMA_PROVIDER,
  type OllamaInferenceConfig,
  ollamaProvider,
} from "./descriptor.ts";
import { buildOllamaRequest, type OllamaRequest } from "./request.ts";
import { OllamaStreamHandler } from "./stream.ts";
import type { OllamaChatChunk } from "./wire.ts";

export { OLLAMA_DEFAULT_BASE_URL };

/** Options of {@link createOllamaEngine}. */
export interface OllamaEngineOptions extends HttpEngineOptions {
  /** Ollama-only defaults (top_k, num_ctx, keep_alive, raw options); Turn.data overrides them per field. */
  ollama?: OllamaInferenceConfig;
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

/**
 * See {@link createOllamaEngine}. `buildRequest` shows the body a Turn would be sent as.
 *
 * @example
 * const { body } = new OllamaEngine({ model: "llama3.2" }).buildRequest(turn, ctx);
 */
export class OllamaEngine extends HttpEngine<OllamaEngineOptions> implements Engine {
  constructor(options: OllamaEngineOptions) {
    super(options, {
      factory: "createOllamaEngine",
      provider: OLLAMA_PROVIDER,
      source: ollamaProvider,
      auth: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
      baseURL: ollamaBaseURL,
    });
  }

  #prepare(turn: Turn, ctx: RunContext): PreparedInference<OllamaInferenceConfig> {
    return this.prepare(turn, ctx, "json-schema", {
      key: KeyOllamaInferenceConfig,
      defaults: this.options.ollama,
    });
  }

  /** The request body this engine would send for a Turn (for inspection and golden tests). */
  buildRequest(turn: Turn, ctx: RunContext): OllamaRequest {
    return buildOllamaRequest(this.#prepare(turn, ctx), {
      model: this.options.model,
      stream: this.streaming,
      cacheMessages: true,
    });
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    const prepared = this.#prepare(turn, ctx);
    const { body } = buildOllamaRequest(prepared, { model: this.options.model, stream: this.streaming });
    let handler: OllamaStreamHandler | undefined;
    const finished = await this.exchange<OllamaChatChunk>(turn, ctx, prepared, (out) => {
      const stream = new OllamaStreamHandler(out);
      handler = stream;
      return {
        path: "/api/chat",
        body,
        framing: body.stream ? "ndjson" : undefined,
        onEvent: (line) => stream.handle(JSON.parse(line) as OllamaChatChunk),
        onWhole: (chunk) => stream.handle(chunk),
        end: () => {
          if (!stream.done) throw streamEndedEarly(OLLAMA_PROVIDER, "its done line");
        },
      };
    });
    const timings = handler?.timings;
    return timings ? KeyOllamaTimings.set(finished, timings) : finished;
  }
}
