/**
 * The clock events are stamped with (`performance.now()`, for `meta.durationMs`). A producer that publishes a
 * batch of events synchronously (the SSE splitter, for the events of one network chunk) reads the clock once
 * for the batch: the events of one chunk arrived together, and a reading costs about as much as building the
 * event it stamps.
 */

/** The held reading, or -1 when none is held. */
let held = -1;

/**
 * The current time for an event: the held reading inside a batch, else `performance.now()`.
 *
 * @example
 * const durationMs = eventTime() - startedAt;
 */
export function eventTime(): number {
  return held >= 0 ? held : performance.now();
}

/**
 * Holds one reading of the clock for the events published until {@link releaseEventTime}; returns what was held
 * before, to give back to `releaseEventTime` (batches may nest).
 *
 * @example
 * const previous = holdEventTime();
 * try { for (const event of batch) publish(ctx, event) } finally { releaseEventTime(previous) }
 */
export function holdEventTime(): number {
  const previous = held;
  held = performance.now();
  return previous;
}

/**
 * Ends a batch started by {@link holdEventTime}.
 *
 * @example
 * releaseEventTime(previous);
 */
export function releaseEventTime(previous: number): void {
  held = previous;
}
