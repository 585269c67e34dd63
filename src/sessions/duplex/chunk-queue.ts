/**
 * The response stream of a duplex session: chunks pushed by the session's driver, pulled by one reader with
 * `for await`. The iteration ends when the session ends (after its `error` chunk, when it failed).
 */
import { CallerError } from "../../engine/errors.ts";

/**
 * A queue of chunks with one async reader.
 *
 * @example
 * const queue = new ChunkQueue<number>();
 * queue.push(1); queue.close();
 * for await (const value of queue) console.log(value);
 */
export class ChunkQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #head = 0;
  #closed = false;
  #reading = false;
  #wake: (() => void) | undefined;

  /** Chunks pushed and not read yet. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  get closed(): boolean {
    return this.#closed;
  }

  push(item: T): void {
    if (this.#closed) return;
    this.#items.push(item);
    this.#wake?.();
  }

  /** No more chunks: the reader gets what is queued, then the end. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
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
