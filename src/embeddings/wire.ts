/**
 * The embeddings wire of each provider that has one, from its API reference: OpenAI `POST /embeddings`
 * (`input` list, `dimensions`), Gemini `POST /models/{model}:batchEmbedContents` (`requests`, each with
 * `outputDimensionality`) and Ollama `POST /api/embed` (`input` list, `dimensions`).
 */
import type { ProviderDescriptor } from "../provider-kit/descriptor.ts";
import { geminiProvider } from "../providers/gemini/descriptor.ts";
import { geminiErrorFields } from "../providers/gemini/stream-finish.ts";
import { ollamaProvider } from "../providers/ollama/descriptor.ts";
import { openaiProvider } from "../providers/openai/descriptor.ts";
import type { ErrorFieldsExtractor } from "../providers/transport/errors.ts";

/** What one provider's embeddings endpoint answered, read into vectors. */
export interface EmbeddingsAnswer {
  vectors: unknown[];
  inputTokens?: number | undefined;
}

/** One provider's embeddings endpoint. */
export interface EmbeddingsWire {
  /** Where its key and endpoint come from (the provider's descriptor). */
  source: Pick<ProviderDescriptor, "id" | "apiKey" | "baseURL" | "settingsKey">;
  defaultModel: string;
  /** The most texts one request may carry (the API's documented limit). */
  maxBatch: number;
  auth(apiKey: string): Record<string, string>;
  errorFields?: ErrorFieldsExtractor;
  path(model: string): string;
  body(model: string, texts: string[], dimensions: number | undefined): unknown;
  read(body: unknown): EmbeddingsAnswer;
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json => (typeof value === "object" && value !== null ? (value as Json) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const geminiModel = (model: string): string =>
  /^(models|tunedModels)\//.test(model) ? model : `models/${model}`;

/**
 * The providers with an embeddings API.
 *
 * @example
 * EMBEDDINGS_WIRES.openai.path("text-embedding-3-small") // "/embeddings"
 */
export const EMBEDDINGS_WIRES = {
  openai: {
    source: openaiProvider,
    defaultModel: "text-embedding-3-small",
    maxBatch: 2048,
    auth: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
    path: () => "/embeddings",
    body: (model, texts, dimensions) => ({
      model,
      input: texts,
      encoding_format: "float",
      ...(dimensions === undefined ? {} : { dimensions }),
    }),
    read: (body) => {
      const answer = object(body);
      const data = list(answer.data).map(object);
      data.sort((left, right) => Number(left.index ?? 0) - Number(right.index ?? 0));
      const usage = object(answer.usage);
      const tokens = typeof usage.prompt_tokens === "number" ? usage.prompt_tokens : undefined;
      return { vectors: data.map((item) => item.embedding), inputTokens: tokens };
    },
  },
  gemini: {
    source: geminiProvider,
    defaultModel: "gemini-embedding-001",
    maxBatch: 100,
    auth: (apiKey) => ({ "x-goog-api-key": apiKey }),
    errorFields: geminiErrorFields,
    path: (model) => `/${geminiModel(model)}:batchEmbedContents`,
    body: (model, texts, dimensions) => ({
      requests: texts.map((text) => ({
        model: geminiModel(model),
        content: { parts: [{ text }] },
        ...(dimensions === undefined ? {} : { outputDimensionality: dimensions }),
      })),
    }),
    read: (body) => ({ vectors: list(object(body).embeddings).map((item) => object(item).values) }),
  },
  ollama: {
    source: ollamaProvider,
    defaultModel: "nomic-embed-text",
    maxBatch: 512,
    auth: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
    path: () => "/api/embed",
    body: (model, texts, dimensions) => ({
      model,
      input: texts,
      ...(dimensions === undefined ? {} : { dimensions }),
    }),
    read: (body) => {
      const answer = object(body);
      const tokens = typeof answer.prompt_eval_count === "number" ? answer.prompt_eval_count : undefined;
      return { vectors: list(answer.embeddings), inputTokens: tokens };
    },
  },
} satisfies Record<string, EmbeddingsWire>;

/** A provider with an embeddings API: `openai`, `gemini` or `ollama`. */
export type EmbeddingsProvider = keyof typeof EMBEDDINGS_WIRES;
