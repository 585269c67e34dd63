/**
 * The embeddings engine: texts in, vectors out, for OpenAI, Gemini and Ollama, over the shared transport (retries
 * on 429/5xx, timeouts, the key scrubbed from every error). Texts are sent in batches of at most the provider's
 * limit (or `batchSize`), one request after the other, and the vectors come back in the order of the texts.
 */
import { CallerError, ProviderError } from "../engine/errors.ts";
import { loadApiKey } from "../provider-kit/api-key.ts";
import type { ClientOptions } from "../providers/options.ts";
import { HttpTransport } from "../providers/transport/http.ts";
import type { BackoffOptions } from "../providers/transport/retry.ts";
import { EMBEDDINGS_WIRES, type EmbeddingsProvider, type EmbeddingsWire } from "./wire.ts";

/**
 * Options of {@link createEmbeddingsEngine}.
 *
 * @example
 * const options: EmbeddingsEngineOptions = { provider: "openai", model: "text-embedding-3-small", dimensions: 256 };
 */
export interface EmbeddingsEngineOptions {
  provider: EmbeddingsProvider;
  /** Default: the provider's usual embeddings model (`text-embedding-3-small`, `gemini-embedding-001`, `nomic-embed-text`). */
  model?: string;
  /** Length of the vectors (OpenAI `dimensions`, Gemini `outputDimensionality`, Ollama `dimensions`). */
  dimensions?: number;
  /** Texts per request (default and maximum: the provider's limit, 2048 / 100 / 512). */
  batchSize?: number;
  /** Falls back to the provider's usual variable (`OPENAI_API_KEY`, `GEMINI_API_KEY`…). Never logged. */
  apiKey?: string;
  baseURL?: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  client?: ClientOptions;
  backoff?: BackoffOptions;
  /** Environment to read fallbacks from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/**
 * The vectors of a call, in the order of the texts, with the tokens the provider counted.
 *
 * @example
 * const { embeddings, usage } = await engine.embed(["a", "b"]); // embeddings.length === 2
 */
export interface EmbeddingsResult {
  embeddings: number[][];
  model: string;
  usage: { inputTokens?: number };
}

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((each) => typeof each === "number");
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new CallerError(`createEmbeddingsEngine: ${name} must be a positive integer (got ${value})`, {
      code: "invalid_settings",
    });
  }
}

/**
 * See {@link createEmbeddingsEngine}.
 *
 * @example
 * const engine = new EmbeddingsEngine({ provider: "ollama" });
 */
export class EmbeddingsEngine {
  readonly provider: EmbeddingsProvider;
  readonly model: string;
  readonly #wire: EmbeddingsWire;
  readonly #transport: HttpTransport;
  readonly #dimensions: number | undefined;
  readonly #batchSize: number;
  readonly #missingKey: CallerError | undefined;

  constructor(options: EmbeddingsEngineOptions) {
    const wire: EmbeddingsWire | undefined = EMBEDDINGS_WIRES[options.provider];
    if (!wire) {
      const known = Object.keys(EMBEDDINGS_WIRES).join(", ");
      throw new CallerError(
        `createEmbeddingsEngine: provider must be one of ${known} (got ${options.provider})`,
        {
          code: "invalid_settings",
        },
      );
    }
    positiveInteger("dimensions", options.dimensions);
    positiveInteger("batchSize", options.batchSize);
    this.provider = options.provider;
    this.#wire = wire;
    this.model = options.model ?? wire.defaultModel;
    this.#dimensions = options.dimensions;
    this.#batchSize = Math.min(options.batchSize ?? wire.maxBatch, wire.maxBatch);
    const { apiKey, baseURL, missingKey } = loadApiKey(wire.source, options);
    this.#missingKey = missingKey;
    this.#transport = new HttpTransport({
      provider: options.provider,
      baseURL,
      headers: { ...(apiKey ? wire.auth(apiKey) : {}), ...options.headers },
      ...(wire.errorFields ? { errorFields: wire.errorFields } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.client ? { client: options.client } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  /**
   * The vectors of `texts`, in order. `signal` cancels the remaining requests.
   *
   * @example
   * const { embeddings } = await engine.embed(["first text", "second text"]);
   */
  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<EmbeddingsResult> {
    if (this.#missingKey) throw this.#missingKey;
    texts.forEach((text, index) => {
      if (typeof text !== "string") {
        throw new CallerError(`embed: texts[${index}] must be a string (got ${typeof text})`);
      }
    });
    const embeddings: number[][] = [];
    let inputTokens: number | undefined;
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      const batch = texts.slice(start, start + this.#batchSize);
      const response = await this.#transport.postJson<unknown>({
        path: this.#wire.path(this.model),
        body: this.#wire.body(this.model, batch, this.#dimensions),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const answer = this.#wire.read(response.body);
      if (answer.vectors.length !== batch.length || !answer.vectors.every(isVector)) {
        throw new ProviderError(
          `${this.provider} embeddings: expected ${batch.length} vectors of numbers for texts ${start}..${start + batch.length - 1}, got ${answer.vectors.length}`,
          { provider: this.provider, status: response.status },
          { code: "invalid_response" },
        );
      }
      embeddings.push(...(answer.vectors as number[][]));
      if (answer.inputTokens !== undefined) inputTokens = (inputTokens ?? 0) + answer.inputTokens;
    }
    return { embeddings, model: this.model, usage: inputTokens === undefined ? {} : { inputTokens } };
  }
}

/**
 * Creates an embeddings engine. The key and endpoint come from the options, then the provider's usual
 * environment variables, then its public endpoint.
 *
 * @example
 * const engine = createEmbeddingsEngine({ provider: "openai", dimensions: 256 });
 * const { embeddings } = await engine.embed(["The sky is blue.", "Grass is green."]);
 */
export function createEmbeddingsEngine(options: EmbeddingsEngineOptions): EmbeddingsEngine {
  return new EmbeddingsEngine(options);
}
