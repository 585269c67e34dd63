/**
 * The event router: topics, named handlers, and a pluggable transport (in-process by default; Redis Streams and
 * NATS JetStream in `geppetto/transports/redis` and `geppetto/transports/nats`).
 *
 * Each handler has its own bounded buffer and runs on its own, so a slow handler never delays the others. What
 * happens when a buffer is full is an explicit policy (see {@link OverflowPolicy}); every dropped event is counted
 * in `stats()` and reported through `onDrop`. Over a durable transport nothing is dropped on the subscriber side:
 * the server holds the backlog and the handler reads it at its own pace.
 */
import { CallerError, GeppettoError } from "../engine/errors.ts";
import type { EventSink } from "./context.ts";
import { HandlerQueue } from "./handler-queue.ts";
import { type EventTransport, InProcessTransport, type ReplayFrom } from "./transport.ts";
import type { GeppettoEvent } from "./types.ts";

/**
 * What a full handler buffer does with one more event:
 * - `drop-streaming` (default; pick it for a UI): drop the oldest queued delta event (`partial`,
 *   `partial-thinking`, `tool-call-arguments-delta`) — later events carry the same text cumulatively — or, if there
 *   is none, the oldest. The publisher never waits and the screen still ends with the whole text.
 * - `drop-oldest`: drop the oldest queued event.
 * - `drop-newest`: drop the incoming event.
 * - `error`: drop the incoming event for this handler only and make `publish` throw (reported by the run context's
 *   sink error handler); the other handlers of the topic still get it.
 * - `block` (lossless; pick it for a durable consumer such as an audit log): `publish` returns a promise that
 *   waits, in order, until the handler has room. A publisher that awaits it is slowed down; the run context does
 *   not await sinks, so an inference is never stopped: its events wait in order, each for at most
 *   `blockTimeoutMs`, after which it is dropped, counted and reported (the promise rejects with a
 *   `RouterOverflowError` of code `router_block_timeout`).
 */
export type OverflowPolicy = "drop-streaming" | "drop-oldest" | "drop-newest" | "error" | "block";

/**
 * Where a delivered event sits on the server (durable transports; absent in-process).
 *
 * @example
 * router.addHandler("audit", "chat", (event, delivery) => checkpoint.save(delivery.position));
 */
export interface Delivery {
  /** `"<Redis entry id or JetStream sequence>/<index>"`: pass it as `from: { offset }` to replay from here. */
  position?: string;
}

/** Handles one event; may be async (the next event waits for it). */
export type EventHandler = (event: GeppettoEvent, delivery: Delivery) => void | Promise<void>;

/** Per-handler counters. */
export interface HandlerStats {
  delivered: number;
  dropped: number;
  failed: number;
  queued: number;
  /** Publishes waiting for room (the `block` policy, or a durable transport's reader). */
  waiting: number;
}

/** Router options. */
export interface EventRouterOptions {
  transport?: EventTransport;
  /** Capacity of each handler's buffer, a positive integer. Default 1024. */
  bufferSize?: number;
  overflow?: OverflowPolicy;
  /** How long a publish waits for room under the `block` policy before its event is dropped. Default 30 s. */
  blockTimeoutMs?: number;
  /** How long `close()` waits for the handlers to finish what is queued. Default 10 s. */
  closeTimeoutMs?: number;
  /** Called for every dropped event (default: a process warning on the first drop of each handler). */
  onDrop?: (handler: string, event: GeppettoEvent) => void;
  /**
   * Called when a handler throws, and when a handler has not settled by the close timeout (with a
   * `RouterCloseTimeoutError`). Default: a process warning on the first failure of each handler.
   */
  onHandlerError?: (handler: string, error: unknown, event: GeppettoEvent | undefined) => void;
}

/** Options of one handler. */
export interface HandlerOptions {
  bufferSize?: number;
  /** In-process only: over a durable transport a full buffer makes the reader wait (the server is the buffer). */
  overflow?: OverflowPolicy;
  /** Where a handler the transport does not know yet starts (durable transports; see {@link ReplayFrom}). */
  from?: ReplayFrom;
}

/**
 * A handler's buffer is full (the `error` policy), or a `block` publish waited longer than its timeout.
 *
 * @example
 * ctx.withSinkErrorHandler((error) => { if (error instanceof RouterOverflowError) metrics.count(error.code) });
 */
export class RouterOverflowError extends GeppettoError {
  override name = "RouterOverflowError";
  constructor(message: string, code: "router_overflow" | "router_block_timeout" = "router_overflow") {
    super(message, { code, fault: "caller" });
  }
}

/**
 * A handler did not finish its queued events within `close()`'s timeout (given to `onHandlerError`).
 *
 * @example
 * new EventRouter({ onHandlerError: (name, error) => { if (error instanceof RouterCloseTimeoutError) log(name) } });
 */
export class RouterCloseTimeoutError extends GeppettoError {
  override name = "RouterCloseTimeoutError";
  constructor(
    readonly handler: string,
    timeoutMs: number,
  ) {
    super(`event router: handler "${handler}" did not settle within ${timeoutMs} ms of close()`, {
      code: "router_close_timeout",
      fault: "caller",
    });
  }
}

function checkPositiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new CallerError(`event router: ${what} must be a positive integer, got ${value}`, {
      code: "invalid_router_option",
    });
  return value;
}

function warnOnce(code: string, describe: (handler: string, error?: unknown) => string) {
  const warned = new Set<string>();
  return (handler: string, error?: unknown) => {
    if (warned.has(handler)) return;
    warned.add(handler);
    process.emitWarning(describe(handler, error), { code });
  };
}

/**
 * Routes events from sinks to named handlers by topic, over a transport.
 *
 * @example
 * const router = new EventRouter(); // or new EventRouter({ transport: new RedisStreamsTransport({ url }) })
 * router.addHandler("printer", "chat", (event) => { if (event.type === "partial") process.stdout.write(event.delta) });
 * const done = router.run();
 * await engine.runInference(turn, RunContext.background().withSinks(router.sink("chat")));
 * await router.close(); // drains every handler (at most closeTimeoutMs)
 * await done;
 */
export class EventRouter {
  readonly #transport: EventTransport;
  readonly #bufferSize: number;
  readonly #overflow: OverflowPolicy;
  readonly #blockTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #onDrop: (handler: string, event: GeppettoEvent) => void;
  readonly #onHandlerError: (handler: string, error: unknown, event: GeppettoEvent | undefined) => void;
  readonly #queues = new Map<string, HandlerQueue>();
  readonly #queuesByTopic = new Map<string, HandlerQueue[]>();
  readonly #unsubscribe: (() => void | Promise<void>)[] = [];
  #started = false;
  #closing: Promise<void> | undefined;
  #markRunning!: () => void;
  #markStopped!: () => void;
  /** Resolves once `run()` has started delivering. */
  readonly running: Promise<void>;
  readonly #stopped: Promise<void>;

  constructor(options: EventRouterOptions = {}) {
    this.#transport = options.transport ?? new InProcessTransport();
    this.#bufferSize = checkPositiveInteger(options.bufferSize ?? 1024, "bufferSize");
    this.#overflow = options.overflow ?? "drop-streaming";
    this.#blockTimeoutMs = checkPositiveInteger(options.blockTimeoutMs ?? 30_000, "blockTimeoutMs");
    this.#closeTimeoutMs = checkPositiveInteger(options.closeTimeoutMs ?? 10_000, "closeTimeoutMs");
    this.#onDrop =
      options.onDrop ??
      warnOnce(
        "GEPPETTO_ROUTER_DROP",
        (handler) => `event router: handler "${handler}" is too slow, dropping events (see stats())`,
      );
    this.#onHandlerError =
      options.onHandlerError ??
      warnOnce(
        "GEPPETTO_ROUTER_HANDLER_ERROR",
        (handler, error) =>
          `event router: handler "${handler}" failed: ${(error as Error)?.message ?? error}`,
      );
    this.running = new Promise((resolve) => {
      this.#markRunning = resolve;
    });
    this.#stopped = new Promise((resolve) => {
      this.#markStopped = resolve;
    });
  }

  /**
   * Adds a handler for a topic. Handler names are unique; over a durable transport the name is the handler's
   * durable identity, so a handler that comes back under the same name resumes where it was.
   */
  addHandler(name: string, topic: string, handler: EventHandler, options: HandlerOptions = {}): void {
    if (this.#closing) throw new CallerError("event router is closed", { code: "router_closed" });
    if (this.#queues.has(name))
      throw new CallerError(`event router: a handler named "${name}" exists already`, {
        code: "invalid_router_option",
      });
    const bufferSize = checkPositiveInteger(
      options.bufferSize ?? this.#bufferSize,
      `bufferSize of "${name}"`,
    );
    const queue = new HandlerQueue(
      name,
      handler,
      bufferSize,
      this.#transport.durable ? "wait" : (options.overflow ?? this.#overflow),
      this.#blockTimeoutMs,
      {
        drop: (handlerName, event) => this.#onDrop(handlerName, event),
        fail: (handlerName, error, event) => this.#onHandlerError(handlerName, error, event),
        overflow: (handlerName, capacity) =>
          new RouterOverflowError(`event router: handler "${handlerName}" buffer full (${capacity})`),
        blockTimeout: (handlerName, timeoutMs) =>
          new RouterOverflowError(
            `event router: handler "${handlerName}" had no room for ${timeoutMs} ms; event dropped`,
            "router_block_timeout",
          ),
      },
    );
    this.#queues.set(name, queue);
    const sameTopic = this.#queuesByTopic.get(topic) ?? [];
    sameTopic.push(queue);
    this.#queuesByTopic.set(topic, sameTopic);
    const subscription = options.from === undefined ? { name } : { name, from: options.from };
    this.#unsubscribe.push(
      this.#transport.subscribe(
        topic,
        (event, acknowledge, position) => queue.push(event, acknowledge, position),
        subscription,
      ),
    );
    if (this.#started) queue.start();
  }

  /** A sink that publishes to `topic`. After `close()`, an event is counted as dropped by the topic's handlers. */
  sink(topic: string): EventSink {
    return {
      publish: (event) => {
        if (this.#closing) {
          for (const queue of this.#queuesByTopic.get(topic) ?? []) queue.dropLate(event);
          return;
        }
        return this.#transport.publish(topic, event);
      },
    };
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

  /**
   * Stops accepting events, lets every handler finish what is queued, closes the transport, then resolves. A
   * handler still busy after `timeoutMs` (default `closeTimeoutMs`) is reported through `onHandlerError` with a
   * `RouterCloseTimeoutError`, and what it had queued is counted as dropped. Safe to call twice.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#closing) {
      const timeoutMs = checkPositiveInteger(options.timeoutMs ?? this.#closeTimeoutMs, "close timeoutMs");
      this.#closing = this.#close(timeoutMs);
    }
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    if (!this.#started) this.run();
    for (const queue of this.#queues.values()) queue.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    await Promise.race([Promise.all(this.#unsubscribe.map((unsubscribe) => unsubscribe())), deadline]);
    await Promise.all(
      [...this.#queues.values()].map(async (queue) => {
        if ((await Promise.race([queue.done, deadline])) !== "timeout") return;
        queue.abandon();
        this.#onHandlerError(queue.name, new RouterCloseTimeoutError(queue.name, timeoutMs), undefined);
      }),
    );
    clearTimeout(timer);
    await this.#transport.close();
    this.#markStopped();
  }

  /** Counters per handler. */
  stats(): Record<string, HandlerStats> {
    const out: Record<string, HandlerStats> = {};
    for (const [name, queue] of this.#queues)
      out[name] = { ...queue.stats, queued: queue.size, waiting: queue.waiting };
    return out;
  }
}
