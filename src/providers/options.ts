/**
 * The options every provider engine factory takes: `{ apiKey, baseURL, fetch, headers }` with environment
 * fallbacks, client limits, and engine-level defaults that per-turn config (Turn.data) overrides field by field.
 */
import type { InferenceConfig, ToolConfig } from "../engine/inference-config.ts";
import type { StructuredOutputConfig } from "../engine/structured-output.ts";
import type { RawTap } from "./transport/tap.ts";

/** HTTP client limits shared by every provider. */
export interface ClientOptions {
  /** Whole request, from sending to the end of the stream. Default: none. */
  timeoutMs?: number;
  /** From sending the request to the first byte of the response. Default 60 000. */
  firstByteTimeoutMs?: number;
  /** Longest gap between two chunks of a stream. Default 60 000. */
  idleTimeoutMs?: number;
  /** Retries on 408/409/429/5xx and connection errors before any output streamed. Default 2. */
  maxRetries?: number;
  userAgent?: string;
}

/** Options common to every provider engine. */
export interface ProviderEngineOptions {
  model: string;
  /** Falls back to the provider's usual environment variable. Sent only in headers; never logged. */
  apiKey?: string;
  /** Falls back to the provider's usual environment variable, then its public endpoint. */
  baseURL?: string;
  headers?: Record<string, string>;
  /** Injected fetch (tests replay recordings through real HTTP with the platform fetch by default). */
  fetch?: typeof fetch;
  client?: ClientOptions;
  /** Stream the response (default true). */
  stream?: boolean;
  /** Engine-level defaults; Turn.data overrides them per field. */
  inference?: InferenceConfig;
  structuredOutput?: StructuredOutputConfig;
  tools?: ToolConfig;
  /** Environment to read fallbacks from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Records the raw exchanges (request + response bytes), e.g. `createFixtureTap("report.sse")`. */
  tap?: RawTap;
}
