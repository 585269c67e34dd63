/**
 * HttpTransport: POST JSON to a provider over the platform fetch, with retries before the first byte, three
 * timeouts, cancellation all the way down, provider errors as ProviderError, and an optional raw tap.
 *
 * The streaming path is the hot path: the body is read chunk by chunk and handed to a splitter that calls the
 * engine back synchronously per event. Per chunk it costs one `performance.now()` for the idle timeout (the
 * timer is re-armed lazily, not per chunk) and one TextDecoder call.
 */
import { CallerError, ProviderError, TimeoutError } from "../../engine/errors.ts";
import {
  contextTap,
  noteRequest,
  noteResponse,
  noteRetry,
  teeTaps,
} from "../../observability/transport-events.ts";
import type { ClientOptions } from "../options.ts";
import { RequestControl } from "./control.ts";
import {
  defaultErrorFields,
  describeNetworkError,
  displayURL,
  type ErrorFieldsExtractor,
  endsMidJson,
  providerErrorFromResponse,
  scrubSecrets,
  secretsOf,
  secretsOfURL,
} from "./errors.ts";
import { encodeJsonBody, hasJsonPieces } from "./json-pieces.ts";
import { type BackoffOptions, backoffDelayMs, isRetryableStatus, retryAfterMs, sleep } from "./retry.ts";
import { JsonArraySplitter, LineSplitter, type SseHandler, SseSplitter } from "./splitters.ts";
import { type RawTap, redactHeaders, scrubbedError, scrubbingTap } from "./tap.ts";

/** How a provider engine configures its transport. */
export interface TransportOptions {
  /** Provider name used in errors (`openai`, `anthropic`…). */
  provider: string;
  /** Base URL; request paths are appended (`${baseURL}/chat/completions`). A trailing slash is ignored. */
  baseURL: string;
  /** Headers of every request, credentials included. Their values never appear in errors or taps. */
  headers?: Record<string, string>;
  /** Injected fetch; the platform fetch by default. */
  fetch?: typeof fetch;
  /** Timeouts, retries and user agent. */
  client?: ClientOptions;
  /** Reads the provider's error body (default {@link defaultErrorFields}). */
  errorFields?: ErrorFieldsExtractor;
  /** Response headers holding the provider's request id, first found wins (default x-request-id, request-id). */
  requestIdHeaders?: readonly string[];
  /** Records every exchange (see `createFixtureTap`). */
  tap?: RawTap;
  /** Backoff tuning (tests use small delays). */
  backoff?: BackoffOptions;
  /** Extra strings to scrub from error messages (an API key sent in the URL, say). */
  secrets?: readonly string[];
}

/** One request. */
export interface TransportRequest {
  /** Path after the base URL (`/chat/completions`), or a full URL. */
  path: string;
  /**
   * JSON body (serialized once), a string or bytes (`Uint8Array`) sent as they are, or a JSON object whose
   * top-level arrays hold `JsonPiece`s (json-pieces.ts: cached serialized parts, spliced in as bytes).
   */
  body: unknown;
  /** Cancels the request, its retries and its stream. */
  signal?: AbortSignal | undefined;
  /** Extra headers for this request. */
  headers?: Record<string, string>;
  /** HTTP method (default POST). */
  method?: "POST" | "GET";
  /**
   * Back-pressure from the consumer (`ctx.ready`): awaited between two body chunks when it returns a promise,
   * so a slow reader stops the socket being read. The idle timeout does not run while it waits.
   */
  ready?: () => Promise<void> | undefined;
}

/** Status, headers and request id of the response that was used. */
export interface ResponseInfo {
  status: number;
  headers: Headers;
  /** The provider's request id, when a known header had one. */
  requestId?: string;
}

/** A whole JSON response. */
export interface JsonResponse<T> extends ResponseInfo {
  body: T;
}

/**
 * An open streaming response (status 2xx). Consume it once with one of `sse`, `ndjson`, `jsonArray` or `text`;
 * each resolves when the body ends and rejects with the abort reason on cancellation, a `TimeoutError`
 * (kind `first-byte`, `idle` or `request`), or a retryable `ProviderError` (code `stream_interrupted`) when the
 * connection breaks. Nothing is retried once a byte of the body arrived; an attempt whose body sent nothing before
 * the first-byte timeout is retried like one that sent no headers.
 */
export interface StreamResponse extends ResponseInfo {
  /** Server-sent events: `onEvent(data, eventName)` per event, synchronously. */
  sse(onEvent: SseHandler): Promise<void>;
  /** Newline-delimited JSON: `onLine(line)` per non-blank line. */
  ndjson(onLine: (line: string) => void): Promise<void>;
  /** A streamed JSON array: `onElement(json)` per top-level element (Gemini without `alt=sse`). */
  jsonArray(onElement: (element: string) => void): Promise<void>;
  /** Decoded text chunks as they arrive. */
  text(onText: (text: string) => void): Promise<void>;
  /** Stops reading and releases the connection. */
  cancel(): void;
}

/** A response with a 2xx status, and the number of the attempt that got it (0 for the first). */
interface SentRequest {
  response: Response;
  info: ResponseInfo;
  attempt: number;
}

function joinURL(baseURL: string, path: string): string {
  if (/^https?:\/\//.test(path)) return path;
  const base = baseURL.endsWith("/") ? baseURL.slice(0, -1) : baseURL;
  return `${base}${path.startsWith("/") ? path : `/${path}`}`;
}

function headersRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The HTTP client every provider engine uses.
 *
 * @example
 * const transport = new HttpTransport({
 *   provider: "openai",
 *   baseURL: "https://api.openai.com/v1",
 *   headers: { authorization: `Bearer ${apiKey}` },
 * });
 * const response = await transport.stream({ path: "/chat/completions", body, signal: ctx.signal });
 * await response.sse((data) => { if (data !== "[DONE]") handle(JSON.parse(data)); });
 */
export class HttpTransport {
  readonly provider: string;
  readonly #options: TransportOptions;
  readonly #fetch: typeof fetch;
  readonly #client: ClientOptions;
  readonly #headers: Record<string, string>;
  readonly #secrets: string[];
  readonly #requestIdHeaders: readonly string[];
  /** The tap, behind a filter that keeps this transport's secrets out of it. */
  readonly #tap: RawTap | undefined;

  constructor(options: TransportOptions) {
    this.provider = options.provider;
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#client = options.client ?? {};
    this.#headers = {
      "content-type": "application/json",
      accept: "application/json",
      ...(this.#client.userAgent ? { "user-agent": this.#client.userAgent } : {}),
      ...options.headers,
    };
    this.#secrets = [
      ...secretsOf(this.#headers),
      ...secretsOfURL(options.baseURL),
      ...(options.secrets ?? []),
    ];
    this.#tap = options.tap ? scrubbingTap(options.tap, this.#secrets) : undefined;
    this.#requestIdHeaders = options.requestIdHeaders ?? ["x-request-id", "request-id"];
  }

  /** Scrubs this transport's secrets from a message. */
  scrub(message: string): string {
    return scrubSecrets(message, this.#secrets);
  }

  /** Sends a request and reads the whole JSON body. Retries as described on the class. */
  async postJson<T = unknown>(request: TransportRequest): Promise<JsonResponse<T>> {
    const control = new RequestControl(request.signal, this.#client);
    const tap = this.#activeTap();
    try {
      const { response, info } = await this.#send(request, control, "application/json");
      const reader = response.body?.getReader();
      let text = "";
      if (reader) {
        const onAbort = (): void => {
          reader.cancel().catch(() => {});
        };
        control.signal.addEventListener("abort", onAbort, { once: true });
        const decoder = new TextDecoder();
        control.firstByte();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          control.lastChunkAt = performance.now();
          tap?.chunk(value);
          text += decoder.decode(value, { stream: true });
        }
        control.signal.removeEventListener("abort", onAbort);
        if (control.cause) throw control.errorFor(undefined);
        text += decoder.decode();
      }
      tap?.end();
      try {
        return { ...info, body: JSON.parse(text) as T };
      } catch (error) {
        if (endsMidJson(error, text)) throw this.#endedEarly(info, "its JSON body was complete", error);
        throw new ProviderError(
          `${this.provider} returned a body that is not JSON (${text.length} characters)`,
          this.#details(info),
          { code: "invalid_response", cause: scrubbedError(error, this.#secrets) },
        );
      }
    } catch (error) {
      throw this.#failure(error, control);
    } finally {
      control.dispose();
    }
  }

  /**
   * Sends a request and returns the open stream once a 2xx status arrived. Retries before that point, and while
   * reading when the body's first byte does not come in time.
   */
  async stream(request: TransportRequest, accept = "text/event-stream"): Promise<StreamResponse> {
    const control = new RequestControl(request.signal, this.#client);
    let sent: SentRequest;
    try {
      sent = await this.#send(request, control, accept);
    } catch (error) {
      control.dispose();
      throw this.#failure(error, control);
    }
    let { response, info } = sent;
    let attempt = sent.attempt;
    const consume = async (push: (text: string) => void, end: () => void): Promise<void> => {
      const tap = this.#activeTap();
      const ready = request.ready;
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      // fetch does not always error a body that is being read when its signal aborts: cancel it ourselves.
      control.onAbort(() => {
        reader?.cancel().catch(() => {});
      });
      try {
        const decoder = new TextDecoder();
        let first = true;
        for (;;) {
          reader = response.body?.getReader();
          if (!reader) break;
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              if (first) {
                first = false;
                control.firstByte();
              } else {
                control.lastChunkAt = performance.now();
              }
              if (tap) tap.chunk(value);
              push(decoder.decode(value, { stream: true }));
              const wait = ready?.();
              if (wait !== undefined) await control.paused(wait);
            }
          } catch (error) {
            if (!control.attemptTimedOut) throw error;
          }
          // Headers came but no byte of the body in time: nothing reached the caller, so the attempt is retried.
          if (!control.attemptTimedOut || attempt >= (this.#client.maxRetries ?? 2)) break;
          reader.cancel().catch(() => {});
          tap?.end(control.errorFor(undefined));
          control.betweenAttempts();
          const delayMs = backoffDelayMs(attempt, undefined, this.#options.backoff);
          this.#noteRetry(attempt, delayMs, "no body byte before the first-byte timeout");
          await sleep(delayMs, control.requestSignal);
          ({ response, info, attempt } = await this.#send(request, control, accept, attempt + 1));
        }
        if (control.cause) throw control.errorFor(undefined);
        const rest = decoder.decode();
        if (rest) push(rest);
        try {
          end();
        } catch (error) {
          // A body that ends cleanly in the middle of its last event is a stream that ended early.
          if (error instanceof SyntaxError) throw this.#endedEarly(info, "the end of its last event", error);
          throw error;
        }
        tap?.end();
      } catch (error) {
        reader?.cancel().catch(() => {});
        const failure = this.#failure(error, control, info);
        tap?.end(failure);
        throw failure;
      } finally {
        control.dispose();
      }
    };
    let used = false;
    const once = (): void => {
      if (used)
        throw new CallerError("a StreamResponse can be consumed only once", { code: "stream_already_read" });
      used = true;
    };
    return {
      ...info,
      sse: (onEvent) => {
        once();
        const splitter = new SseSplitter(onEvent);
        return consume(
          (text) => splitter.push(text),
          () => splitter.end(),
        );
      },
      ndjson: (onLine) => {
        once();
        const splitter = new LineSplitter(onLine);
        return consume(
          (text) => splitter.push(text),
          () => splitter.end(),
        );
      },
      jsonArray: (onElement) => {
        once();
        const splitter = new JsonArraySplitter(onElement);
        return consume(
          (text) => splitter.push(text),
          () => splitter.end(),
        );
      },
      text: (onText) => {
        once();
        return consume(onText, () => {});
      },
      cancel: () => {
        used = true;
        control.dispose();
        response.body?.cancel().catch(() => {});
      },
    };
  }

  #details(info: ResponseInfo | undefined): ConstructorParameters<typeof ProviderError>[1] {
    const details: ConstructorParameters<typeof ProviderError>[1] = { provider: this.provider };
    if (info) details.status = info.status;
    if (info?.requestId) details.requestId = info.requestId;
    return details;
  }

  /** The retryable error of a body that ended cleanly before it was complete. */
  #endedEarly(info: ResponseInfo, expected: string, cause: unknown): ProviderError {
    return new ProviderError(`${this.provider}: the stream ended before ${expected}`, this.#details(info), {
      code: "stream_interrupted",
      retryable: true,
      cause: scrubbedError(cause, this.#secrets),
    });
  }

  /** Converts a failure into what the caller sees: the abort reason, a TimeoutError or a ProviderError. */
  #failure(error: unknown, control: RequestControl, info?: ResponseInfo): unknown {
    if (control.cause) return control.errorFor(error);
    if (error instanceof ProviderError || error instanceof TimeoutError) {
      // An engine's error from an event the provider sent may quote the key.
      error.message = this.scrub(error.message);
      return error;
    }
    if (error instanceof SyntaxError) {
      return new ProviderError(
        `${this.provider} sent a malformed stream: ${this.scrub(error.message)}`,
        this.#details(info),
        {
          code: "invalid_response",
          cause: scrubbedError(error, this.#secrets),
        },
      );
    }
    const reason = this.scrub(describeNetworkError(error));
    if (info) {
      return new ProviderError(
        `${this.provider} stream broke before it ended: ${reason}`,
        this.#details(info),
        {
          code: "stream_interrupted",
          retryable: true,
          cause: scrubbedError(error, this.#secrets),
        },
      );
    }
    return new ProviderError(`could not reach ${this.provider}: ${reason}`, this.#details(undefined), {
      code: "connection_error",
      retryable: true,
      cause: scrubbedError(error, this.#secrets),
    });
  }

  /** Sends the request, retrying from attempt number `firstAttempt` (0 for the first), until a 2xx status. */
  async #send(
    request: TransportRequest,
    control: RequestControl,
    accept: string,
    firstAttempt = 0,
  ): Promise<SentRequest> {
    const url = joinURL(this.#options.baseURL, request.path);
    const headers = request.headers
      ? { ...this.#headers, accept, ...request.headers }
      : { ...this.#headers, accept };
    const body = requestBody(request.body);
    const method = request.method ?? "POST";
    const maxRetries = this.#client.maxRetries ?? 2;
    const tap = this.#activeTap();
    for (let attempt = firstAttempt; ; attempt++) {
      tap?.request({
        method,
        url: this.scrub(url),
        headers: redactHeaders(headers),
        body: typeof body === "string" ? body : new TextDecoder().decode(body),
      });
      noteRequest(this.provider, method, this.scrub(displayURL(url)), request.body, attempt, this.#scrubber);
      const startedAt = performance.now();
      let response: Response;
      control.startAttempt();
      try {
        response = await this.#fetch(url, {
          method,
          headers,
          ...(method === "GET" ? {} : { body }),
          signal: control.signal,
        });
      } catch (error) {
        // A first-byte timeout ends only its attempt: it is retried like a connection error.
        const retryable = !control.cause || control.attemptTimedOut;
        if (!retryable || attempt >= maxRetries) {
          if (!control.cause || control.attemptTimedOut) tap?.end(control.errorFor(error));
          throw control.cause ? error : this.#connectionError(error, url);
        }
        control.betweenAttempts();
        const delayMs = backoffDelayMs(attempt, undefined, this.#options.backoff);
        this.#noteRetry(
          attempt,
          delayMs,
          control.attemptTimedOut
            ? "no response before the first-byte timeout"
            : this.scrub(describeNetworkError(error)),
        );
        await sleep(delayMs, control.requestSignal);
        continue;
      }
      const info: ResponseInfo = { status: response.status, headers: response.headers };
      const requestId = this.#requestId(response.headers);
      if (requestId) info.requestId = requestId;
      tap?.response({ status: response.status, headers: headersRecord(response.headers) });
      noteResponse(this.provider, response.status, requestId, response.headers, startedAt);
      if (response.ok) return { response, info, attempt };
      const text = await response.text();
      if (tap) {
        tap.chunk(new TextEncoder().encode(text));
        tap.end();
      }
      const retry =
        isRetryableStatus(response.status) &&
        attempt < maxRetries &&
        response.headers.get("x-should-retry") !== "false";
      if (retry) {
        const hint = retryAfterMs(response.headers);
        control.betweenAttempts();
        const delayMs = backoffDelayMs(attempt, hint, this.#options.backoff);
        this.#noteRetry(attempt, delayMs, `HTTP ${response.status}`, response);
        await sleep(delayMs, control.requestSignal);
        continue;
      }
      throw providerErrorFromResponse({
        provider: this.provider,
        status: response.status,
        body: parseBody(text),
        requestId,
        extract: this.#options.errorFields ?? defaultErrorFields,
        secrets: this.#secrets,
      });
    }
  }

  readonly #scrubber = (text: string): string => this.scrub(text);
  /** Taps set on run contexts (`withRecording`), each behind this transport's secret filter. */
  readonly #contextTaps = new WeakMap<RawTap, RawTap>();

  /** The transport's own tap and the current run context's, if any. */
  #activeTap(): RawTap | undefined {
    const fromContext = contextTap();
    if (fromContext === undefined) return this.#tap;
    let scrubbed = this.#contextTaps.get(fromContext);
    if (scrubbed === undefined) {
      scrubbed = scrubbingTap(fromContext, this.#secrets);
      this.#contextTaps.set(fromContext, scrubbed);
    }
    return this.#tap ? teeTaps(this.#tap, scrubbed) : scrubbed;
  }

  #noteRetry(attempt: number, delayMs: number, reason: string, response?: Response): void {
    noteRetry({
      provider: this.provider,
      attempt,
      maxRetries: this.#client.maxRetries ?? 2,
      delayMs,
      reason,
      ...(response ? { status: response.status, headers: response.headers } : {}),
    });
  }

  #connectionError(error: unknown, url: string): ProviderError {
    const reason = this.scrub(describeNetworkError(error));
    return new ProviderError(
      `could not reach ${this.provider} at ${this.scrub(displayURL(url))}: ${reason}`,
      { provider: this.provider },
      { code: "connection_error", retryable: true, cause: scrubbedError(error, this.#secrets) },
    );
  }

  #requestId(headers: Headers): string | undefined {
    for (const name of this.#requestIdHeaders) {
      const value = headers.get(name);
      if (value) return value;
    }
    return undefined;
  }
}

/** What fetch sends for a request body: strings and bytes as they are, pieces spliced, anything else as JSON. */
function requestBody(body: unknown): string | Uint8Array {
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (hasJsonPieces(body)) return encodeJsonBody(body);
  return JSON.stringify(body);
}
