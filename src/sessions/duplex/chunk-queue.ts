/**
 * The response stream of a duplex session: chunks pushed by the session's driver, pulled by one reader with
 * `for await`. The iteration ends when the session ends (after its `error` chunk, when it failed).
 *
 * The queue has a capacity: once that many chunks wait unread, {@link ChunkQueue.writable} hands the driver a
 * promise that settles when the reader has taken half of them, and the driver stops reading its source
 * (the WebSocket, the speech stream) until then. Nothing is dropped, and memory stays bounded by the capacity.
 */
import { CallerError } from "../../engine/errors.ts";

/**
 * A bounded queue of chunks with one async reader.
 *
 * @example
 * const queue = new ChunkQueue<number>({ capacity: 2 });
 * queue.push(1); queue.close();
 * for await (const value of queue) console.log(value);
 */
export class ChunkQueue<T> implements AsyncIterable<T> {
  readonly #capacity: number;
  readonly #onTake: ((item: T) => void) | undefined;
  #items: T[] = [];
  #head = 0;
  #closed = false;
  #reading = false;
  #wake: (() => void) | undefined;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  constructor(options: { capacity: number; onTake?: (item: T) => void }) {
    this.#capacity = options.capacity;
    this.#onTake = options.onTake;
  }

  /** Chunks pushed and not read yet. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Adds a chunk (always: the producer is expected to wait on {@link writable} before pushing more). */
  push(item: T): void {
    if (this.#closed) return;
    this.#items.push(item);
    this.#wake?.();
  }

  /**
   * Undefined while there is room; when the queue holds `capacity` chunks or more, a promise that resolves
   * once the reader has brought it down to half (or the queue closed).
   */
  writable(): Promise<void> | undefined {
    if (this.#closed || this.size < this.#capacity) return undefined;
    this.#drained ??= new Promise<void>((resolve) => {
      this.#resolveDrained = resolve;
    });
    return this.#drained;
  }

  /** Removes the unread chunks that match (audio nobody will hear, after barge-in); returns how many. */
  discard(match: (item: T) => boolean): number {
    const kept = this.#items.slice(this.#head).filter((item) => !match(item));
    const removed = this.size - kept.length;
    this.#items = kept;
    this.#head = 0;
    this.#release();
    return removed;
  }

  /** No more chunks: the reader gets what is queued, then the end. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
    this.#resolveDrained?.();
  }

  #release(): void {
    if (this.#resolveDrained && this.size * 2 <= this.#capacity) {
      const resolve = this.#resolveDrained;
      this.#drained = undefined;
      this.#resolveDrained = undefined;
      resolve();
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#reading)
      throw new CallerError("a duplex session's response stream can be read only once", {
        code: "stream_already_read",
      });
    this.#reading = true;
    while (true) {
      if (this.#head < this.#items.length) {
        const item = this.#items[this.#head]!;
        this.#items[this.#head++] = undefined as T;
        if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        this.#onTake?.(item);
        this.#release();
        yield item;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}
