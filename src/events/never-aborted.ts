/**
 * The signal of a context nobody can cancel (`RunContext.background()`), and the test for it. A listener on it
 * would never run, and every request adding one to this one shared signal made each addition and removal scan
 * all the others (Node keeps a signal's listeners in a list): 200 concurrent streams paid 200 × 200 steps.
 */

/** The signal of every context without one of its own: its controller is here and never aborts. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * True when the signal may abort, so listening to it is worth a listener.
 *
 * @example
 * const signal = canAbort(ctx.signal) ? ctx.signal : undefined;
 */
export function canAbort(signal: AbortSignal): boolean {
  return signal !== NEVER_ABORTED;
}
