/**
 * The event router: topics, named handlers, and a pluggable transport (in-process by default).
 *
 * Each handler has its own bounded buffer and runs on its own, so a slow handler never blocks publishing and
 * never delays the others. What happens when a buffer is full is an explicit policy (see {@link OverflowPolicy});
 * every dropped event is counted in `stats()` and reported through `onDrop`.
 */
import type { EventSink } from "./context.ts";
import { type GeppettoEvent, STREAMING_EVENT_TYPES } from "./types.ts";

/** Carries events between publishers and subscribers; in-process by default, another process later. */
export interface EventTransport {
  publish(topic: string, event: GeppettoEvent): void | Promise<void>;
  /** Subscribes to a topic; returns the function that unsubscribes. */
  subscribe(topic: string, deliver: (event: GeppettoEvent) => void): () => void;
  close(): Promise<void>;
}

/** Delivers synchronously to the subscribers of a topic in this process. */
export class InProcessTransport implements EventTransport {
  readonly #subscribers = new Map<string, Set<(event: GeppettoEvent) => void>>();

  publish(topic: string, event: GeppettoEvent): void {
    const subscribers = this.#subscribers.get(topic);
    if (!subscribers) return;
    for (const deliver of subscribers) deliver(event);
  }

  subscribe(topic: string, deliver: (event: GeppettoEvent) => void): () => void {
    let subscribers = this.#subscribers.get(topic);
    if (!subscribers) {
      subscribers = new Set();
      this.#subscribers.set(topic, subscribers);
    }
    subscribers.add(deliver);
    return () => subscribers.delete(deliver);
  }

  async close(): Promise<void> {
    this.#subscribers.clear();
  }
}

/**
 * What a full handler buffer does with one more event:
 * - `drop-streaming` (default): drop the oldest queued delta event (`partial`, `partial-thinking`,
 *   `tool-call-arguments-delta`) — later events carry the same text cumulatively — or, if there is none, the oldest.
 * - `drop-oldest`: drop the oldest queued event.
 * - `drop-newest`: drop the incoming event.
 * - `error`: drop the incoming event and make `publish` throw (reported by the run context's sink error handler).
 */
export type OverflowPolicy = "drop-streaming" | "drop-oldest" | "drop-newest" | "error";

/** Handles one event; may be async (the next event waits for it). */
export type EventHandler = (event: GeppettoEvent) => void | Promise<void>;

/** Per-handler counters. */
export interface HandlerStats {
  delivered: number;
  dropped: number;
  failed: number;
  queued: number;
}

/** Router options. */
export interface EventRouterOptions {
  transport?: EventTransport;
  /** Capacity of each handler's buffer. Default 1024. */
  bufferSize?: number;
  overflow?: OverflowPolicy;
  /** Called for every dropped event (default: a process warning on the first drop of each handler). */
  onDrop?: (handler: string, event: GeppettoEvent) => void;
  /** Called when a handler throws (default: a process warning on the first failure of each handler). */
  onHandlerError?: (handler: string, error: unknown, event: GeppettoEvent) => void;
}

/** Thrown by a router sink when a buffer is full under the `error` policy. */
export class RouterOverflowError extends Error {
  override name = "RouterOverflowError";
}

class HandlerQueue {
  readonly stats: HandlerStats = { delivered: 0, dropped: 0, failed: 0, queued: 0 };
  #items: GeppettoEvent[] = [];
  #head = 0;
  #wake: (() => void) | undefined;
  #closed = false;
  readonly done: Promise<void>;
  #startPump!: () => void;

  constructor(
    readonly name: string,
    readonly handler: EventHandler,
    readonly capacity: number,
    readonly policy: OverflowPolicy,
    readonly router: {
      drop(name: string, event: GeppettoEvent): void;
      fail(name: string, e: unknown, ev: GeppettoEvent): void;
    },
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

  start(): void {
    this.#startPump();
  }

  push(event: GeppettoEvent): void {
    if (this.#closed) return;
    if (this.size >= this.capacity) {
      if (this.policy === "drop-newest" || this.policy === "error") {
        this.stats.dropped++;
        this.router.drop(this.name, event);
        if (this.policy === "error")
          throw new RouterOverflowError(`handler "${this.name}" buffer full (${this.capacity})`);
        return;
      }
      this.#dropOne();
    }
    this.#items.push(event);
    this.stats.queued = this.size;
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
    }
  }

  #dropOne(): void {
    let victim = this.#head;
    if (this.policy === "drop-streaming") {
      for (let index = this.#head; index < this.#items.length; index++) {
        if (STREAMING_EVENT_TYPES.has(this.#items[index]!.type)) {
          victim = index;
          break;
        }
      }
    }
    const [dropped] = this.#items.splice(victim, 1);
    this.stats.dropped++;
    if (dropped) this.router.drop(this.name, dropped);
  }

  close(): void {
    this.#closed = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #pump(): Promise<void> {
    for (;;) {
      if (this.size === 0) {
        if (this.#closed) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const event = this.#items[this.#head]!;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.stats.queued = this.size;
      try {
        await this.handler(event);
        this.stats.delivered++;
      } catch (error) {
        this.stats.failed++;
        this.router.fail(this.name, error, event);
      }
    }
  }
}

/**
 * Routes events from sinks to named handlers by topic.
 *
 * @example
 * const router = new EventRouter();
 * router.addHandler("printer", "chat", (event) => { if (event.type === "partial") process.stdout.write(event.delta) });
 * const done = router.run();
 * await engine.runInference(turn, RunContext.background().withSinks(router.sink("chat")));
 * await router.close(); // drains every handler
 * await done;
 */
export class EventRouter {
  readonly #transport: EventTransport;
  readonly #options: Required<Omit<EventRouterOptions, "transport">>;
  readonly #queues = new Map<string, HandlerQueue>();
  readonly #unsubscribe: (() => void)[] = [];
  #started = false;
  #closed = false;
  #markRunning!: () => void;
  #markStopped!: () => void;
  /** Resolves once `run()` has started delivering. */
  readonly running: Promise<void>;
  readonly #stopped: Promise<void>;

  constructor(options: EventRouterOptions = {}) {
    this.#transport = options.transport ?? new InProcessTransport();
    const dropWarned = new Set<string>();
    const failWarned = new Set<string>();
    this.#options = {
      bufferSize: options.bufferSize ?? 1024,
      overflow: options.overflow ?? "drop-streaming",
      onDrop:
        options.onDrop ??
        ((handler) => {
          if (dropWarned.has(handler)) return;
          dropWarned.add(handler);
          process.emitWarning(
            `event router: handler "${handler}" is too slow, dropping events (see stats())`,
            {
              code: "GEPPETTO_ROUTER_DROP",
            },
          );
        }),
      onHandlerError:
        options.onHandlerError ??
        ((handler, error) => {
          if (failWarned.has(handler)) return;
          failWarned.add(handler);
          process.emitWarning(
            `event router: handler "${handler}" failed: ${(error as Error)?.message ?? error}`,
            {
              code: "GEPPETTO_ROUTER_HANDLER_ERROR",
            },
          );
        }),
    };
    this.running = new Promise((resolve) => {
      this.#markRunning = resolve;
    });
    this.#stopped = new Promise((resolve) => {
      this.#markStopped = resolve;
    });
  }

  /** Adds a handler for a topic. Handler names are unique. */
  addHandler(
    name: string,
    topic: string,
    handler: EventHandler,
    options: { bufferSize?: number; overflow?: OverflowPolicy } = {},
  ): void {
    if (this.#closed) throw new Error("event router is closed");
    if (this.#queues.has(name)) throw new Error(`event router: a handler named "${name}" exists already`);
    const queue = new HandlerQueue(
      name,
      handler,
      options.bufferSize ?? this.#options.bufferSize,
      options.overflow ?? this.#options.overflow,
      {
        drop: (handlerName, event) => this.#options.onDrop(handlerName, event),
        fail: (handlerName, error, event) => this.#options.onHandlerError(handlerName, error, event),
      },
    );
    this.#queues.set(name, queue);
    this.#unsubscribe.push(this.#transport.subscribe(topic, (event) => queue.push(event)));
    if (this.#started) queue.start();
  }

  /** A sink that publishes to `topic`. */
  sink(topic: string): EventSink {
    return { publish: (event) => this.#transport.publish(topic, event) };
  }

  /** Starts delivering to handlers. Resolves when the router has been closed and drained. */
  run(): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      for (const queue of this.#queues.values()) queue.start();
      this.#markRunning();
    }
    return this.#stopped;
  }

  /** Stops accepting events, lets every handler finish what is queued, then resolves. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const unsubscribe of this.#unsubscribe) unsubscribe();
      if (!this.#started) this.run();
      for (const queue of this.#queues.values()) queue.close();
      await Promise.all([...this.#queues.values()].map((queue) => queue.done));
      await this.#transport.close();
      this.#markStopped();
    }
    return this.#stopped;
  }

  /** Counters per handler. */
  stats(): Record<string, HandlerStats> {
    const out: Record<string, HandlerStats> = {};
    for (const [name, queue] of this.#queues) out[name] = { ...queue.stats, queued: queue.size };
    return out;
  }
}
