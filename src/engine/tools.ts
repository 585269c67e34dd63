/**
 * What an engine needs to know about tools: their names, descriptions and JSON schemas, per provider dialect.
 *
 * The tool registry (src/tools) implements {@link ToolCatalog} and is carried by the run context under
 * {@link ToolCatalogKey}; engines read it from there and never import the tools module.
 */
import { contextKey, type RunContext } from "../events/context.ts";
import type { JsonObject } from "../turns/json.ts";

/**
 * The JSON-schema dialect a provider accepts:
 * - `json-schema`: the schema as written (Anthropic, Ollama, OpenAI non-strict);
 * - `openai-strict`: every property required (optional ones made nullable), `additionalProperties: false`;
 * - `gemini`: the OpenAPI subset Gemini accepts (no `additionalProperties`, `$ref`, `$schema`, …).
 */
export type SchemaDialect = "json-schema" | "openai-strict" | "gemini";

/** One tool as a provider sees it. */
export interface ToolDescription {
  name: string;
  description: string;
  /** The input JSON schema, compiled for the requested dialect. */
  parameters: JsonObject;
  /** True when `parameters` is valid for OpenAI strict mode (dialect `openai-strict`). */
  strict?: boolean;
}

/** The tools offered to the model. Implementations compile each dialect once and cache it. */
export interface ToolCatalog {
  toolsFor(dialect: SchemaDialect): ToolDescription[];
}

/** The run context slot holding the tools offered to the model. */
export const ToolCatalogKey = contextKey<ToolCatalog>("geppetto.tool_catalog");

/** The tools on the context for a dialect, or an empty list. */
export function toolsFromContext(ctx: RunContext, dialect: SchemaDialect): ToolDescription[] {
  return ctx.get(ToolCatalogKey)?.toolsFor(dialect) ?? [];
}
