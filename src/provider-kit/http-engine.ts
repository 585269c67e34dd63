/**
 * The HTTP engine skeleton every provider engine is written with: the key and endpoint ({@link loadApiKey}),
 * the auth and request-id headers, the provider's error fields, the shared transport, and one request → stream
 * (or unary) → events → Turn exchange inside the shared lifecycle. A provider adds its request builder
 * (`request.ts`) and its stream reducer (`stream.ts`).
 */

import { CallerError, ProviderError } from "../engine/errors.ts";
import { runWithOutput } from "../engine/lifecycle.ts";
import type { InferenceOutput } from "../engine/output.ts";
import type { SchemaDialect } from "../engine/tools.ts";
import type { RunContext } from "../events/context.ts";
import { canAbort } from "../events/never-aborted.ts";
import type { ProviderEngineOptions } from "../providers/options.ts";
import type { ErrorFieldsExtractor } from "../providers/transport/errors.ts";
import { endsMidJson, streamEndedEarly } from "../providers/transport/errors.ts";
import { HttpTransport } from "../providers/transport/http.ts";
import type { BackoffOptions } from "../providers/transport/retry.ts";
import type { TurnDataKey } from "../turns/keys.ts";
import type { Turn } from "../turns/types.ts";
import { loadApiKey } from "./api-key.ts";
import type { ProviderDescriptor } from "./descriptor.ts";
import { type PreparedInference, prepareInference } from "./prepare.ts";

/**
 * What an engine tells the skeleton about its provider.
 *
 * @example
 * const setup: HttpEngineSetup = {
 *   factory: "createAcmeEngine", provider: "acme", source: acmeProvider,
 *   auth: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
 * };
 */
export interface HttpEngineSetup {
  /** The factory's name, for the "`model` is required" error. */
  factory: string;
  /** The provider name stamped on blocks, events and results. */
  provider: string;
  /** Where the key and endpoint come from (the descriptor, or a profile's equivalent). */
  source: Pick<ProviderDescriptor, "id" | "apiKey" | "baseURL" | "settingsKey">;
  /** The headers that carry the key. */
  auth: (apiKey: string) => Record<string, string>;
  /** Headers sent with every request before the caller's own (`anthropic-version`). */
  headers?: Record<string, string>;
  /** Rewrites the resolved base URL (Ollama's host forms). */
  baseURL?: (resolved: string) => string;
  /** Response headers that carry the request id (default `x-request-id`). */
  requestIdHeaders?: readonly string[];
  /** Reads the provider's error body into code, type and message. */
  errorFields?: ErrorFieldsExtractor;
}

/** How a streamed response is framed: server-sent events, JSON lines, or one JSON array read element by element. */
export type StreamFraming = "sse" | "ndjson" | "json-array";

/** The caller's signal for the transport, or none when it cannot abort (no listener to add and remove). */
function requestSignal(ctx: RunContext): AbortSignal | undefined {
  return canAbort(ctx.signal) ? ctx.signal : undefined;
}

const ACCEPT: Record<StreamFraming, string> = {
  sse: "text/event-stream",
  ndjson: "application/x-ndjson",
  "json-array": "application/json",
};

/**
 * One request and how its answer is read: streamed in `framing` (each event to `onEvent`), or, with no framing,
 * one JSON body to `onWhole`. A server that answers a request for server-sent events with one JSON body (some
 * OpenAI-compatible ones ignore `stream: true`) is read through `onWhole` too.
 *
 * @example
 * const exchange: WireExchange<AcmeResponse> = {
 *   path: "/chat", body, framing: "sse",
 *   onEvent: (data) => handler.handle(JSON.parse(data)), onWhole: (whole) => handler.whole(whole),
 *   end: () => { if (!handler.done) throw streamEndedEarly("acme", "its last event"); },
 * };
 */
export interface WireExchange<Whole> {
  path: string;
  body: unknown;
  /** Extra headers of this request (`anthropic-beta`). */
  headers?: Record<string, string> | undefined;
  framing: StreamFraming | undefined;
  onEvent(data: string): void;
  onWhole(body: Whole): void;
  /** Called after the last event or the whole body: throws when the answer is incomplete. */
  end(): void;
}

/**
 * The options every HTTP engine takes: the common provider options and the retry backoff.
 *
 * @example
 * interface AcmeEngineOptions extends HttpEngineOptions { acme?: AcmeConfig }
 */
export interface HttpEngineOptions extends ProviderEngineOptions {
  /** Backoff between retries (tests use small delays). */
  backoff?: BackoffOptions;
}

/**
 * The skeleton: subclass it, build the request from `prepareInference`, and hand {@link HttpEngine.exchange}
 * the request and the stream reducer.
 *
 * @example
 * class AcmeEngine extends HttpEngine<HttpEngineOptions> {
 *   constructor(options: HttpEngineOptions) {
 *     super(options, { factory: "createAcmeEngine", provider: "acme", source: acmeProvider, auth: bearer });
 *   }
 *   runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
 *     const prepared = prepareInference(turn, ctx, { dialect: "json-schema" });
 *     const { body } = buildAcmeRequest(prepared, this.options);
 *     return this.exchange(turn, ctx, prepared, (out) => acmeExchange(body, new AcmeStream(out)));
 *   }
 * }
 */
export abstract class HttpEngine<Options extends HttpEngineOptions> {
  readonly options: Options;
  /** The provider name stamped on blocks, events and results. */
  readonly provider: string;
  protected readonly transport: HttpTransport;
  /** The endpoint requests go to. */
  protected readonly baseURL: string;
  readonly #missingKey: CallerError | undefined;
  /** Removes the API key from error messages (the transport knows it). */
  readonly #scrub = (message: string): string => this.transport.scrub(message);

  constructor(options: Options, setup: HttpEngineSetup) {
    if (!options.model) throw new CallerError(`${setup.factory}: options.model is required`);
    this.options = options;
    this.provider = setup.provider;
    const { apiKey, baseURL, missingKey } = loadApiKey(setup.source, options);
    this.#missingKey = missingKey;
    this.baseURL = setup.baseURL ? setup.baseURL(baseURL) : baseURL;
    this.transport = new HttpTransport({
      provider: setup.provider,
      baseURL: this.baseURL,
      headers: { ...setup.headers, ...(apiKey ? setup.auth(apiKey) : {}), ...options.headers },
      ...(setup.requestIdHeaders ? { requestIdHeaders: setup.requestIdHeaders } : {}),
      ...(setup.errorFields ? { errorFields: setup.errorFields } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.client ? { client: options.client } : {}),
      ...(options.tap ? { tap: options.tap } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  abstract runInference(turn: Turn, ctx: RunContext): Promise<Turn>;

  /** True unless `stream: false` was given. */
  protected get streaming(): boolean {
    return this.options.stream ?? true;
  }

  /**
   * Resolves the Turn's settings against this engine's (`inference`, `tools`, `structuredOutput` and the
   * provider's own block under `key`), with the context's tools compiled in `dialect`.
   */
  protected prepare<P extends object>(
    turn: Turn,
    ctx: RunContext,
    dialect: SchemaDialect,
    provider: { key: TurnDataKey<P>; defaults?: P | undefined },
  ): PreparedInference<P> {
    const options = this.options;
    return prepareInference(turn, ctx, {
      dialect,
      inference: options.inference,
      tools: options.tools,
      structuredOutput: options.structuredOutput,
      provider,
    });
  }

  /**
   * Runs one inference: the request, then the streamed events (or the whole body) into the output, with the
   * prepared inference's warnings published after `start` and its `toolArguments` applied to every tool call. Resolves with the partial Turn when `ctx.signal` aborts.
   */
  protected exchange<Whole>(
    turn: Turn,
    ctx: RunContext,
    prepared: Pick<PreparedInference<object>, "warnings" | "toolArguments">,
    open: (out: InferenceOutput) => WireExchange<Whole>,
  ): Promise<Turn> {
    if (this.#missingKey) return Promise.reject(this.#missingKey);
    const info = {
      provider: this.provider,
      model: this.options.model,
      warnings: prepared.warnings,
      scrub: this.#scrub,
      toolArguments: prepared.toolArguments,
    };
    return runWithOutput(ctx, turn, info, async (out) => {
      const exchange = open(out);
      const request = {
        path: exchange.path,
        body: exchange.body,
        signal: requestSignal(ctx),
        ready: ctx.ready,
        ...(exchange.headers ? { headers: exchange.headers } : {}),
      };
      const framing = exchange.framing;
      if (!framing) {
        const response = await this.transport.postJson<Whole>(request);
        out.ids({ requestId: response.requestId });
        exchange.onWhole(response.body);
      } else {
        const response = await this.transport.stream(request, ACCEPT[framing]);
        out.ids({ requestId: response.requestId });
        const isJson = response.headers.get("content-type")?.includes("application/json");
        if (isJson && framing === "sse") exchange.onWhole(await this.#wholeBody(response));
        else if (framing === "sse") await response.sse(exchange.onEvent);
        else if (framing === "ndjson") await response.ndjson(exchange.onEvent);
        else await response.jsonArray(exchange.onEvent);
      }
      exchange.end();
    });
  }

  /** A JSON request outside an inference (token counts): the parsed body. */
  protected async postJson<T>(
    path: string,
    body: unknown,
    ctx: RunContext,
    headers?: Record<string, string>,
  ): Promise<T> {
    if (this.#missingKey) throw this.#missingKey;
    const request = { path, body, signal: requestSignal(ctx), ...(headers ? { headers } : {}) };
    return (await this.transport.postJson<T>(request)).body;
  }

  async #wholeBody<Whole>(response: { text(onText: (text: string) => void): Promise<void> }): Promise<Whole> {
    let text = "";
    await response.text((piece) => {
      text += piece;
    });
    try {
      return JSON.parse(text) as Whole;
    } catch (error) {
      if (endsMidJson(error, text)) throw streamEndedEarly(this.provider, "its JSON body was complete");
      throw new ProviderError(
        `${this.provider} returned a body that is not JSON`,
        { provider: this.provider },
        { code: "invalid_response" },
      );
    }
  }
}
