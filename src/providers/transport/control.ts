/**
 * The timers and abort plumbing of one request (all its attempts and its body): the caller's signal, the whole
 * request timeout and the idle gap abort the request's controller; the first-byte timeout aborts only the
 * controller of the attempt it timed, so the transport can retry it. Each reason becomes the right error.
 */
import { TimeoutError } from "../../engine/errors.ts";
import type { ClientOptions } from "../options.ts";

const DEFAULT_FIRST_BYTE_MS = 60_000;
const DEFAULT_IDLE_MS = 60_000;

/** Why the internal controller aborted, so the right error is thrown. */
type AbortCause =
  | { kind: "caller"; reason: unknown }
  | { kind: "timeout"; error: TimeoutError }
  | { kind: "attempt-timeout"; error: TimeoutError };

/**
 * Timers and abort plumbing of one request. The idle timer is re-armed lazily: each chunk only records
 * `lastChunkAt`; when the timer fires it re-arms for the remaining time if a chunk came since.
 *
 * @example
 * const control = new RequestControl(ctx.signal, { idleTimeoutMs: 30_000 });
 * try { await fetch(url, { signal: control.signal }) } finally { control.dispose() }
 */
export class RequestControl {
  /** Aborts the whole request (caller, request timeout, idle gap). */
  readonly controller = new AbortController();
  #signal: AbortSignal = this.controller.signal;
  /** The current attempt's controller: aborted by its first-byte timeout, and with the request. */
  #attempt: AbortController | undefined;
  #onAbort: (() => void) | undefined;
  /** What aborted, if anything; a first-byte timeout is cleared when the next attempt starts. */
  cause: AbortCause | undefined;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort: () => void;
  #requestTimer: ReturnType<typeof setTimeout> | undefined;
  #firstByteTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleMs = 0;
  #firstByteMs = 0;
  #sawFirstByte = false;
  /** Time of the last chunk (the idle timer compares against it when it fires). */
  lastChunkAt = 0;
  /** True while the consumer holds the stream back (the idle timer does not fire then). */
  #paused = false;
  /** Ends the current back-pressure wait early (the request aborted). */
  #endPause: (() => void) | undefined;

  constructor(callerSignal: AbortSignal | undefined, client: ClientOptions) {
    this.#callerSignal = callerSignal;
    this.#onCallerAbort = () => this.#abort({ kind: "caller", reason: callerSignal?.reason });
    if (callerSignal) {
      if (callerSignal.aborted) this.#onCallerAbort();
      else callerSignal.addEventListener("abort", this.#onCallerAbort, { once: true });
    }
    if (client.timeoutMs !== undefined && client.timeoutMs > 0) {
      const ms = client.timeoutMs;
      this.#requestTimer = setTimeout(() => this.#timeout("request", ms), ms);
    }
    this.#firstByteMs = client.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_MS;
    this.#idleMs = client.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  }

  /**
   * An attempt is being sent: (re)starts the first-byte timer. Each attempt gets the whole first-byte budget,
   * and the backoff waits between attempts do not count against it (only the whole-request timeout spans them).
   */
  startAttempt(): void {
    this.betweenAttempts();
    if (this.cause?.kind === "attempt-timeout") this.cause = undefined;
    const ms = this.#firstByteMs;
    if (ms <= 0) return;
    // Aborts this attempt only (its first-byte timeout); `#abort` aborts it with the request. A plain controller,
    // not `AbortSignal.any`, which costs several microseconds per request (weak references, listeners).
    const attempt = new AbortController();
    if (this.controller.signal.aborted) attempt.abort(this.controller.signal.reason);
    this.#attempt = attempt;
    this.#signal = attempt.signal;
    this.#firstByteTimer = setTimeout(() => {
      if (this.cause) return;
      const error = new TimeoutError(`timed out after ${ms} ms waiting for the first byte`, "first-byte");
      this.cause = { kind: "attempt-timeout", error };
      attempt.abort(error);
      this.#onAbort?.();
    }, ms);
  }

  /** True when the current attempt failed on its first-byte timeout (and nothing else aborted): retry it. */
  get attemptTimedOut(): boolean {
    return this.cause?.kind === "attempt-timeout";
  }

  /** An attempt failed and the next one waits: the first-byte timer stops until it starts. */
  betweenAttempts(): void {
    clearTimeout(this.#firstByteTimer);
    this.#firstByteTimer = undefined;
  }

  /**
   * Calls `listener` when the request or its current attempt aborts, after `signal` has; `undefined` removes it.
   * One listener, kept without an `addEventListener` on the signal (which costs microseconds per request).
   */
  onAbort(listener: (() => void) | undefined): void {
    this.#onAbort = listener;
  }

  /** The signal of the current attempt (aborts with the request too). */
  get signal(): AbortSignal {
    return this.#signal;
  }

  /** The signal of the whole request (backoff waits use it: a timed-out attempt must not cut them). */
  get requestSignal(): AbortSignal {
    return this.controller.signal;
  }

  #abort(cause: AbortCause): void {
    if (this.cause && this.cause.kind !== "attempt-timeout") return;
    this.cause = cause;
    const reason = cause.kind === "caller" ? cause.reason : cause.error;
    this.controller.abort(reason);
    this.#attempt?.abort(reason);
    this.#onAbort?.();
    this.#endPause?.();
  }

  #timeout(kind: "request" | "idle", ms: number): void {
    const what = { request: "the whole request", idle: "the next chunk" }[kind];
    this.#abort({
      kind: "timeout",
      error: new TimeoutError(`timed out after ${ms} ms waiting for ${what}`, kind),
    });
  }

  /** The first byte arrived: stop the first-byte timer, start watching idle gaps. */
  firstByte(): void {
    if (this.#sawFirstByte) return;
    this.#sawFirstByte = true;
    this.betweenAttempts();
    this.lastChunkAt = performance.now();
    if (this.#idleMs > 0) this.#armIdle(this.#idleMs);
  }

  #armIdle(ms: number): void {
    this.#idleTimer = setTimeout(() => {
      const idleFor = this.#paused ? 0 : performance.now() - this.lastChunkAt;
      if (idleFor >= this.#idleMs - 1) this.#timeout("idle", this.#idleMs);
      else this.#armIdle(this.#idleMs - idleFor);
    }, ms);
  }

  /**
   * Waits for a slow consumer (back-pressure) without counting the wait as idle time. Returns early when the
   * request aborts, so a cancelled stream never hangs on its reader. A `for await` reader behind a fast body
   * makes the transport wait once per read, so the wait costs one promise and no listener on the signal
   * (`#abort` ends it).
   */
  async paused(wait: Promise<void>): Promise<void> {
    if (this.controller.signal.aborted) return;
    this.#paused = true;
    try {
      await new Promise<void>((resolve) => {
        this.#endPause = resolve;
        wait.then(resolve, resolve);
      });
    } finally {
      this.#endPause = undefined;
      this.#paused = false;
      this.lastChunkAt = performance.now();
    }
  }

  /** The error to throw for a failure, given what aborted (if anything). */
  errorFor(error: unknown): unknown {
    const cause = this.cause;
    if (!cause) return error;
    return cause.kind === "caller" ? cause.reason : cause.error;
  }

  dispose(): void {
    clearTimeout(this.#requestTimer);
    clearTimeout(this.#firstByteTimer);
    clearTimeout(this.#idleTimer);
    this.#callerSignal?.removeEventListener("abort", this.#onCallerAbort);
    this.#onAbort = undefined;
  }
}
