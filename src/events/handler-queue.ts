/**
 * One handler's bounded buffer and the loop that feeds the handler (internal to the router).
 */
import type { Acknowledge } from "./transport.ts";
import { type GeppettoEvent, STREAMING_EVENT_TYPES } from "./types.ts";

/** What a full buffer does; `wait` is the durable transports' reader waiting for room (never dropping). */
export type QueuePolicy = "drop-streaming" | "drop-oldest" | "drop-newest" | "error" | "block" | "wait";

/** What the queue tells its router. */
export interface QueueOwner {
  drop(name: string, event: GeppettoEvent): void;
  fail(name: string, error: unknown, event: GeppettoEvent): void;
  overflow(name: string, capacity: number): Error;
  blockTimeout(name: string, timeoutMs: number): Error;
}

interface Item {
  event: GeppettoEvent;
  acknowledge: Acknowledge | undefined;
  position: string | undefined;
}

interface Waiter extends Item {
  resolve: () => void;
  reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A bounded buffer in front of one handler. */
export class HandlerQueue {
  readonly stats = { delivered: 0, dropped: 0, failed: 0 };
  #items: Item[] = [];
  #head = 0;
  readonly #waiters: Waiter[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  #abandoned = false;
  readonly done: Promise<void>;
  #startPump!: () => void;

  constructor(
    readonly name: string,
    readonly handler: (event: GeppettoEvent, delivery: { position?: string }) => void | Promise<void>,
    readonly capacity: number,
    readonly policy: QueuePolicy,
    readonly blockTimeoutMs: number,
    readonly owner: QueueOwner,
  ) {
    this.done = new Promise<void>((resolve) => {
      this.#startPump = () => {
        this.#pump().then(resolve, resolve);
      };
    });
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  start(): void {
    this.#startPump();
  }

  /** Counts and reports an event that arrived after close. */
  dropLate(event: GeppettoEvent): void {
    this.stats.dropped++;
    this.owner.drop(this.name, event);
  }

  push(event: GeppettoEvent, acknowledge?: Acknowledge, position?: string): void | Promise<void> {
    if (this.#closed) {
      // A durable transport redelivers what was never acknowledged; in-process, a late event is lost and counted.
      if (this.policy === "wait") return;
      return this.dropLate(event);
    }
    if (this.size < this.capacity && this.#waiters.length === 0) {
      this.#enqueue({ event, acknowledge, position });
      return;
    }
    switch (this.policy) {
      case "block":
      case "wait":
        return this.#wait({ event, acknowledge, position });
      case "drop-newest":
        return this.dropLate(event);
      case "error":
        this.dropLate(event);
        throw this.owner.overflow(this.name, this.capacity);
      default:
        this.#dropOne();
        this.#enqueue({ event, acknowledge, position });
    }
  }

  #enqueue(item: Item): void {
    this.#items.push(item);
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
    }
  }

  #wait(item: Item): Promise<void> {
    const { event } = item;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { ...item, resolve, reject, timer: undefined };
      if (this.policy === "block") {
        waiter.timer = setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          this.dropLate(event);
          reject(this.owner.blockTimeout(this.name, this.blockTimeoutMs));
        }, this.blockTimeoutMs);
      }
      this.#waiters.push(waiter);
    });
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0 && this.size < this.capacity) {
      const waiter = this.#waiters.shift()!;
      if (waiter.timer) clearTimeout(waiter.timer);
      this.#enqueue({ event: waiter.event, acknowledge: waiter.acknowledge, position: waiter.position });
      waiter.resolve();
    }
  }

  #dropOne(): void {
    let victim = this.#head;
    if (this.policy === "drop-streaming") {
      for (let index = this.#head; index < this.#items.length; index++) {
        if (STREAMING_EVENT_TYPES.has(this.#items[index]!.event.type)) {
          victim = index;
          break;
        }
      }
    }
    const [dropped] = this.#items.splice(victim, 1);
    if (dropped) this.dropLate(dropped.event);
  }

  /** No more events after what is queued or waiting. */
  close(): void {
    this.#closed = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Gives up on a handler that did not settle: what is still queued or waiting is dropped and counted. */
  abandon(): void {
    this.#abandoned = true;
    for (let index = this.#head; index < this.#items.length; index++)
      this.dropLate(this.#items[index]!.event);
    this.#items = [];
    this.#head = 0;
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.timer) clearTimeout(waiter.timer);
      this.dropLate(waiter.event);
      waiter.resolve();
    }
    this.close();
  }

  async #pump(): Promise<void> {
    for (;;) {
      if (this.#abandoned) return;
      if (this.size === 0) {
        if (this.#closed && this.#waiters.length === 0) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const item = this.#items[this.#head]!;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.#admitWaiters();
      try {
        await this.handler(item.event, item.position === undefined ? {} : { position: item.position });
        this.stats.delivered++;
      } catch (error) {
        this.stats.failed++;
        this.owner.fail(this.name, error, item.event);
      }
      // A failed event is acknowledged too: it was reported, and redelivering it would fail again forever.
      item.acknowledge?.();
    }
  }
}
