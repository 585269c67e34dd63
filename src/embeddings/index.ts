/**
 * Embeddings (`geppetto/embeddings`): an engine that turns texts into vectors on OpenAI, Gemini or Ollama, with
 * batching, dimensions and the shared transport (retries, timeouts, scrubbed keys), created in code or from the
 * `embeddings` settings block.
 *
 * @example
 * import { createEmbeddingsEngine } from "geppetto/embeddings";
 * const engine = createEmbeddingsEngine({ provider: "openai", model: "text-embedding-3-small", dimensions: 256 });
 * const { embeddings } = await engine.embed(["The sky is blue.", "Grass is green."]);
 */
export {
  createEmbeddingsEngine,
  EmbeddingsEngine,
  type EmbeddingsEngineOptions,
  type EmbeddingsResult,
} from "./engine.ts";
export { embeddingsEngineFromSettings } from "./settings.ts";
export { EMBEDDINGS_WIRES, type EmbeddingsProvider } from "./wire.ts";
