/**
 * The embeddings engine from settings: the `embeddings` block (`apiType`, `engine`, `dimensions`, `batchSize`)
 * and the key and endpoint of `api.<provider>`.
 */
import type { LoadedSettings } from "../settings/load.ts";
import { settingError, sourceAt } from "../settings/sources.ts";
import { createEmbeddingsEngine, type EmbeddingsEngine, type EmbeddingsEngineOptions } from "./engine.ts";
import { EMBEDDINGS_WIRES, type EmbeddingsProvider } from "./wire.ts";

/**
 * Creates the embeddings engine the settings describe. A provider without an embeddings API is a settings error
 * naming `embeddings.apiType`.
 *
 * @example
 * const engine = embeddingsEngineFromSettings(loadSettings({ env: process.env }));
 * const { embeddings } = await engine.embed(["hello"]);
 */
export function embeddingsEngineFromSettings(
  loaded: LoadedSettings,
  extra: Pick<EmbeddingsEngineOptions, "fetch" | "headers" | "env"> = {},
): EmbeddingsEngine {
  const block = loaded.settings.embeddings ?? {};
  const provider = block.apiType ?? "openai";
  if (!(provider in EMBEDDINGS_WIRES)) {
    const known = Object.keys(EMBEDDINGS_WIRES).join(", ");
    throw settingError(
      "embeddings.apiType",
      `must be one of ${known} (got ${JSON.stringify(provider)})`,
      sourceAt(loaded.sources, "embeddings.apiType"),
    );
  }
  const wire = EMBEDDINGS_WIRES[provider as EmbeddingsProvider];
  const endpoint = loaded.settings.api?.[wire.source.settingsKey] ?? {};
  const client = loaded.settings.client;
  return createEmbeddingsEngine({
    provider: provider as EmbeddingsProvider,
    ...(block.engine ? { model: block.engine } : {}),
    ...(block.dimensions ? { dimensions: block.dimensions } : {}),
    ...(block.batchSize ? { batchSize: block.batchSize } : {}),
    ...(endpoint.apiKey ? { apiKey: endpoint.apiKey } : {}),
    ...(endpoint.baseURL ? { baseURL: endpoint.baseURL } : {}),
    ...(client ? { client } : {}),
    env: extra.env ?? {},
    ...(extra.fetch ? { fetch: extra.fetch } : {}),
    ...(extra.headers ? { headers: extra.headers } : {}),
  });
}
