/**
 * EventQueue: the bounded, lossless buffer between a producer that publishes events synchronously (an engine
 * reading an HTTP body) and a consumer that pulls them one at a time (`for await`).
 *
 * It is both the sink the producer publishes to and the {@link FlowGate} that holds the producer back: once a
 * reader is attached and `capacity` events wait, `ready()` returns a promise that resolves when the reader has
 * taken the queue down to half, so the transport stops reading the socket in between. Nothing is ever dropped.
 *
 * Costs per event: one array slot, and for the reader one already-resolved promise (`next()` is served from the
 * queue without waiting); a waiting reader is woken once per batch of events, not per event.
 */
import { CallerError } from "../engine/errors.ts";
import type { EventSink, FlowGate } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";

/** The default number of events a reader may fall behind before the producer waits. */
export const DEFAULT_STREAM_CAPACITY = 256;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Picks what a view yields from an event (undefined: skip it). */
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
  #wake: (() => void) | undefined;
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
    if (wake !== undefined) {
      this.#wake = undefined;
      wake();
    }
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
   */
  reader<T>(view: EventView<T>, onReturn: () => void): AsyncIterableIterator<T> {
    this.#reading = true;
    const next = (): Promise<IteratorResult<T>> => {
      while (this.#head < this.#items.length) {
        const value = view(this.#take());
        if (value !== undefined) return Promise.resolve({ done: false, value });
      }
      if (this.#closed) {
        if (this.#failure) {
          const { error } = this.#failure;
          this.#failure = undefined;
          return Promise.reject(error);
        }
        return Promise.resolve(DONE);
      }
      return new Promise<void>((resolve) => {
        this.#wake = resolve;
      }).then(next);
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
