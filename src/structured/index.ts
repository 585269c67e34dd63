/**
 * Structured sinks: extract tagged blocks (`<package:type:version> … </package:type:version>`) from streaming
 * answer text. A {@link FilteringSink} removes the blocks from the text it forwards and hands their payload to
 * registered {@link Extractor}s, which publish typed events; the parse helpers turn a streaming payload into
 * best-so-far values.
 */

export { type IncrementalJsonOptions, IncrementalJsonParser } from "../app/incremental-json.ts";
export * from "./extractor.ts";
export * from "./filtering-sink.ts";
export * from "./parse/index.ts";
export * from "./tag-scanner.ts";
