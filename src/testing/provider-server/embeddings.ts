/**
 * The embeddings endpoints: OpenAI `POST /v1/embeddings`, Gemini `POST /v1beta/models/{model}:batchEmbedContents`
 * and Ollama `POST /api/embed`, in each provider's documented wire form. Each text gets a deterministic vector
 * ({@link localEmbedding}), of the requested dimensions (default 8).
 */
import type { ProtocolModule, RecordedRequest, Reply } from "./types.ts";

/**
 * The vector the local server gives a text: `dimensions` numbers in [0, 1) from the text's characters, the same
 * for the same text.
 *
 * @example
 * localEmbedding("hi", 3).length // 3
 */
export function localEmbedding(text: string, dimensions = 8): number[] {
  const vector: number[] = [];
  for (let index = 0; index < dimensions; index++) {
    let hash = 2166136261 ^ index;
    for (let position = 0; position < text.length; position++) {
      hash = Math.imul(hash ^ text.charCodeAt(position), 16777619);
    }
    vector.push((hash >>> 0) / 2 ** 32);
  }
  return vector;
}

type Body = Record<string, unknown>;
const bodyOf = (request: RecordedRequest): Body =>
  typeof request.body === "object" && request.body !== null ? (request.body as Body) : {};
const json = (value: unknown): Reply => ({
  status: 200,
  headers: { "content-type": "application/json" },
  frames: [JSON.stringify(value)],
});
const tokens = (texts: string[]): number => texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
const texts = (input: unknown): string[] =>
  (Array.isArray(input) ? input : [input]).filter((each): each is string => typeof each === "string");
const dimensionsOf = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

const embeddings = (
  name: string,
  basePath: string,
  matches: (path: string) => boolean,
  answer: (body: Body) => unknown,
): ProtocolModule => ({
  name,
  basePath,
  matches: (method, path) => method === "POST" && matches(path),
  wantsStream: () => false,
  render: (_script, _streaming, request) => json(answer(bodyOf(request))),
});

/** OpenAI `POST /v1/embeddings`: `{ model, input, dimensions? }` → `{ data: [{ index, embedding }], usage }`. */
export const openaiEmbeddingsProtocol: ProtocolModule = embeddings(
  "openai-embeddings",
  "/v1",
  (path) => path === "/v1/embeddings" || path === "/embeddings",
  (body) => {
    const input = texts(body.input);
    return {
      object: "list",
      model: body.model,
      data: input.map((text, index) => ({
        object: "embedding",
        index,
        embedding: localEmbedding(text, dimensionsOf(body.dimensions)),
      })),
      usage: { prompt_tokens: tokens(input), total_tokens: tokens(input) },
    };
  },
);

/** Gemini `batchEmbedContents`: `{ requests: [{ model, content: { parts }, outputDimensionality? }] }`. */
export const geminiEmbeddingsProtocol: ProtocolModule = embeddings(
  "gemini-embeddings",
  "/v1beta",
  (path) => /^\/v1(?:alpha|beta)?\/models\/[^/:]+:batchEmbedContents$/.test(path),
  (body) => ({
    embeddings: (Array.isArray(body.requests) ? (body.requests as Body[]) : []).map((request) => {
      const content = (request.content ?? {}) as { parts?: { text?: string }[] };
      const text = (content.parts ?? []).map((part) => part.text ?? "").join("");
      return { values: localEmbedding(text, dimensionsOf(request.outputDimensionality)) };
    }),
  }),
);

/** Ollama `POST /api/embed`: `{ model, input, dimensions? }` → `{ model, embeddings, prompt_eval_count }`. */
export const ollamaEmbeddingsProtocol: ProtocolModule = embeddings(
  "ollama-embed",
  "",
  (path) => path === "/api/embed",
  (body) => {
    const input = texts(body.input);
    return {
      model: body.model,
      embeddings: input.map((text) => localEmbedding(text, dimensionsOf(body.dimensions))),
      prompt_eval_count: tokens(input),
    };
  },
);
