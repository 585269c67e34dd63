/**
 * Retry policy of the transport: which failures are worth another attempt and how long to wait before it.
 *
 * Retries happen only before any output reached the caller: on HTTP 408, 409, 429 and 5xx, and on connection
 * errors. The wait is exponential with full jitter, unless the provider says how long (`retry-after-ms`,
 * `retry-after` in seconds or as an HTTP date).
 */

/**
 * Statuses that are retried (and marked retryable on the error when retries run out).
 *
 * @example
 * isRetryableStatus(429) // true; isRetryableStatus(400) // false
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * How long to wait before retrying a retryable status, from its headers; undefined when they do not say.
 *
 * @example
 * retryAfterMs(new Headers({ "retry-after": "2" })) // 2000
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const milliseconds = headers.get("retry-after-ms");
  if (milliseconds !== null) {
    const value = Number.parseFloat(milliseconds);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers.get("retry-after");
  if (after !== null) {
    const seconds = Number.parseFloat(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/** Backoff settings. */
export interface BackoffOptions {
  /** First delay before jitter (default 500 ms). */
  baseDelayMs?: number;
  /** Largest delay, including a provider's own `retry-after` (default 60 000 ms). */
  maxDelayMs?: number;
  /** Random source in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): the provider's hint when it gave one
 * (capped), else `base * 2^attempt` scaled by a jitter between 50 % and 100 %.
 *
 * @example
 * backoffDelayMs(1, undefined, { baseDelayMs: 500, random: () => 1 }) // 1000
 */
export function backoffDelayMs(
  attempt: number,
  hintMs: number | undefined,
  options: BackoffOptions = {},
): number {
  const maxDelay = options.maxDelayMs ?? 60_000;
  if (hintMs !== undefined) return Math.min(hintMs, maxDelay);
  const base = (options.baseDelayMs ?? 500) * 2 ** attempt;
  const jitter = 0.5 + 0.5 * (options.random ?? Math.random)();
  return Math.min(base * jitter, maxDelay);
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
