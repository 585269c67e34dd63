/**
 * EventQueue: the bounded, lossless buffer between a producer that publishes events synchronously (an engine
 * reading an HTTP body) and a consumer that pulls them one at a time (`for await`).
 *
 * It is both the sink the producer publishes to and the {@link FlowGate} that holds the producer back: once a
 * reader is attached and `capacity` events wait, `ready()` returns a promise that resolves when the reader has
 * taken the queue down to half, so the transport stops reading the socket in between. Nothing is ever dropped.
 *
 * Costs per event: one array slot, and for the reader nothing more (`next()` is served from the queue with one
 * settled promise, reused); a waiting reader is woken once per batch of events, not per event.
 */
import { CallerError } from "../engine/errors.ts";
import type { EventSink, FlowGate } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";

/**
 * The default number of events a reader may fall behind before the producer waits.
 *
 * @example
 * streamInference(engine, turn, ctx, { capacity: DEFAULT_STREAM_CAPACITY * 4 });
 */
export const DEFAULT_STREAM_CAPACITY = 256;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Picks what a view yields from an event (undefined: skip it).
 *
 * @example
 * const toolCalls: EventView<string> = (event) => (event.type === "tool-call" ? event.toolCall.name : undefined);
 */
export type EventView<T> = (event: GeppettoEvent) => T | undefined;

/**
 * A bounded queue of events with one reader.
 *
 * @example
 * const queue = new EventQueue(64);
 * const ctx = RunContext.background().withSinks(queue).withFlowGate(queue);
 * const reader = queue.reader((event) => event);
 */
export class EventQueue implements EventSink, FlowGate {
  readonly capacity: number;
  #items: (GeppettoEvent | undefined)[] = [];
  #head = 0;
  #reading = false;
  #detached = false;
  #unbounded = false;
  #closed = false;
  #failure: { error: unknown } | undefined;
  /** The waiting reader: serves itself from the queue; true when it took something (or the queue ended). */
  #wake: (() => boolean) | undefined;
  #drained: Promise<void> | undefined;
  #releaseDrained: (() => void) | undefined;

  constructor(capacity = DEFAULT_STREAM_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new CallerError(`EventQueue: capacity must be a positive integer, got ${capacity}`, {
        code: "invalid_argument",
      });
    }
    this.capacity = capacity;
  }

  /** Events waiting to be read. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** True once a reader was attached. */
  get reading(): boolean {
    return this.#reading;
  }

  /** True once `detach()` was called: events are no longer kept. */
  get detached(): boolean {
    return this.#detached;
  }

  publish(event: GeppettoEvent): void {
    if (this.#detached || this.#closed) return;
    this.#items.push(event);
    const wake = this.#wake;
    if (wake?.()) this.#wake = undefined;
  }

  ready(): Promise<void> | undefined {
    if (!this.#reading || this.#unbounded || this.#items.length - this.#head < this.capacity)
      return undefined;
    if (this.#drained === undefined) {
      this.#drained = new Promise<void>((resolve) => {
        this.#releaseDrained = resolve;
      });
    }
    return this.#drained;
  }

  /** Lets the producer go on without waiting from now on (the run is being cancelled, say). */
  release(): void {
    this.#unbounded = true;
    this.#openGate();
  }

  /** Nobody will read: drops what is queued and keeps nothing more. */
  detach(): void {
    this.#detached = true;
    this.#items = [];
    this.#head = 0;
    this.release();
  }

  /** The producer ended; with `failure`, readers throw it once they have read every event. */
  close(failure?: { error: unknown }): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failure = failure;
    this.release();
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #openGate(): void {
    const release = this.#releaseDrained;
    this.#drained = undefined;
    this.#releaseDrained = undefined;
    release?.();
  }

  #take(): GeppettoEvent {
    const items = this.#items;
    const event = items[this.#head]!;
    items[this.#head] = undefined;
    this.#head++;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#releaseDrained !== undefined && items.length - this.#head <= this.capacity >> 1)
      this.#openGate();
    return event;
  }

  /**
   * Attaches the one reader: an async iterator of `view(event)` for each event (skipping undefined). It throws
   * the producer's failure after the last event. `onReturn` runs when the reader stops early (`break`).
   *
   * An event already queued costs the reader no allocation: `next()` returns the same settled promise of the same
   * result object each time, its `value` set to the event (`for await` reads it at once; a caller of `next()`
   * keeps `result.value`, not `result`). Only a reader that has to wait gets a new promise.
   */
  reader<T>(view: EventView<T>, onReturn: () => void): AsyncIterableIterator<T> {
    this.#reading = true;
    const result: IteratorYieldResult<T> = { done: false, value: undefined as T };
    const settled: Promise<IteratorResult<T>> = Promise.resolve(result);
    /** Sets `result.value` and returns true when an event is ready; false when the queue is empty. */
    const take = (): boolean => {
      while (this.#head < this.#items.length) {
        const value = view(this.#take());
        if (value !== undefined) {
          result.value = value;
          return true;
        }
      }
      return false;
    };
    /** The end, or the failure once (after every event): undefined while the producer goes on. */
    const end = (): { error: unknown } | typeof DONE | undefined => {
      if (!this.#closed) return undefined;
      const failure = this.#failure;
      this.#failure = undefined;
      return failure ?? DONE;
    };
    // The waiting `next()`'s promise, settled by the producer's next publish (or the end): one function per
    // reader, so a wait costs its promise only.
    let resolveWait: ((result: IteratorResult<T>) => void) | undefined;
    let rejectWait: ((error: unknown) => void) | undefined;
    const wake = (): boolean => {
      const resolve = resolveWait!;
      if (take()) resolve(result);
      else {
        const woken = end();
        if (woken === undefined) return false;
        if ("error" in woken) rejectWait!(woken.error);
        else resolve(woken);
      }
      resolveWait = undefined;
      rejectWait = undefined;
      return true;
    };
    const wait = (resolve: (result: IteratorResult<T>) => void, reject: (error: unknown) => void): void => {
      resolveWait = resolve;
      rejectWait = reject;
      this.#wake = wake;
    };
    const next = (): Promise<IteratorResult<T>> => {
      if (take()) return settled;
      const ended = end();
      if (ended === undefined) return new Promise<IteratorResult<T>>(wait);
      return "error" in ended ? Promise.reject(ended.error) : Promise.resolve(ended);
    };
    const iterator: AsyncIterableIterator<T> = {
      next,
      return: (): Promise<IteratorResult<T>> => {
        if (!this.#closed) onReturn();
        this.detach();
        return Promise.resolve(DONE);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
