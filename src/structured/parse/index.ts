/**
 * Parse helpers for extractors: strip code fences, parse JSON that is still streaming, repair model-written
 * YAML, and debounced incremental YAML/JSON parsers that give best-so-far values while a block streams.
 */
export * from "./code-fence.ts";
export * from "./debounced.ts";
export * from "./partial-json.ts";
export * from "./sanitize-yaml.ts";
