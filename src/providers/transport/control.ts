/**
 * The timers and abort plumbing of one request (all its attempts and its body): the caller's signal, the whole
 * request timeout, the first-byte timeout and the idle gap, each aborting one internal controller with a reason
 * the transport turns into the right error.
 */
import { TimeoutError } from "../../engine/errors.ts";
import type { ClientOptions } from "../options.ts";

const DEFAULT_FIRST_BYTE_MS = 60_000;
const DEFAULT_IDLE_MS = 60_000;

/** Why the internal controller aborted, so the right error is thrown. */
type AbortCause = { kind: "caller"; reason: unknown } | { kind: "timeout"; error: TimeoutError };

/**
 * Timers and abort plumbing of one request. The idle timer is re-armed lazily: each chunk only records
 * `lastChunkAt`; when the timer fires it re-arms for the remaining time if a chunk came since.
 *
 * @example
 * const control = new RequestControl(ctx.signal, { idleTimeoutMs: 30_000 });
 * try { await fetch(url, { signal: control.signal }) } finally { control.dispose() }
 */
export class RequestControl {
  readonly controller = new AbortController();
  cause: AbortCause | undefined;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort: () => void;
  #requestTimer: ReturnType<typeof setTimeout> | undefined;
  #firstByteTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleMs = 0;
  /** Time of the last chunk (the idle timer compares against it when it fires). */
  lastChunkAt = 0;

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
    const firstByte = client.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_MS;
    if (firstByte > 0)
      this.#firstByteTimer = setTimeout(() => this.#timeout("first-byte", firstByte), firstByte);
    this.#idleMs = client.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  #abort(cause: AbortCause): void {
    if (this.cause) return;
    this.cause = cause;
    this.controller.abort(cause.kind === "caller" ? cause.reason : cause.error);
  }

  #timeout(kind: "request" | "first-byte" | "idle", ms: number): void {
    const what = { request: "the whole request", "first-byte": "the first byte", idle: "the next chunk" }[
      kind
    ];
    this.#abort({
      kind: "timeout",
      error: new TimeoutError(`timed out after ${ms} ms waiting for ${what}`, kind),
    });
  }

  /** The first byte arrived: stop the first-byte timer, start watching idle gaps. */
  firstByte(): void {
    if (this.#firstByteTimer !== undefined) {
      clearTimeout(this.#firstByteTimer);
      this.#firstByteTimer = undefined;
      this.lastChunkAt = performance.now();
      if (this.#idleMs > 0) this.#armIdle(this.#idleMs);
    }
  }

  #armIdle(ms: number): void {
    this.#idleTimer = setTimeout(() => {
      const idleFor = performance.now() - this.lastChunkAt;
      if (idleFor >= this.#idleMs - 1) this.#timeout("idle", this.#idleMs);
      else this.#armIdle(this.#idleMs - idleFor);
    }, ms);
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
  }
}
