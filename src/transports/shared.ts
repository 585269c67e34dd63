/**
 * What the Redis Streams and NATS JetStream transports share: the bounded publish buffer that retries with
 * backoff while the server is away, warnings, errors that name the server without its credentials, and reading
 * one message back as an event.
 */
import { GeppettoError } from "../engine/errors.ts";
import { decodeEvent } from "../events/codec.ts";
import type { GeppettoEvent } from "../events/types.ts";

/** Something a transport reports without failing: the server is away or back, a buffer is full, a bad message. */
export interface TransportWarning {
  code:
    | "server_unavailable"
    | "server_back"
    | "publish_buffer_full"
    | "skipped_message"
    | "incomplete_text"
    | "unsent_at_close";
  message: string;
}

/** Counters of a transport. */
export interface TransportStats {
  /** Events the server accepted. */
  published: number;
  /** Events waiting in the publish buffer. */
  buffered: number;
  /** Events dropped because the publish buffer was full while the server was away. */
  droppedWhileAway: number;
  /** Messages on the stream that were not geppetto events (skipped and acknowledged). */
  skipped: number;
}

/**
 * The server could not be reached, or refused the connection (the message names it, credentials redacted).
 *
 * @example
 * try { await transport.connect() } catch (error) { if (error instanceof TransportConnectionError) exit(error.message) }
 */
export class TransportConnectionError extends GeppettoError {
  override name = "TransportConnectionError";
  constructor(message: string, cause?: unknown) {
    super(message, { code: "transport_unreachable", fault: "provider", retryable: true, cause });
  }
}

/**
 * A server address with any password or token replaced by `***`, for messages.
 *
 * @example
 * redactUrl("redis://app:secret@cache:6379/0") // "redis://app:***@cache:6379/0"
 */
export function redactUrl(address: string): string {
  try {
    const url = new URL(address);
    if (url.password) url.password = "***";
    else if (url.username) url.username = "***";
    return url.toString().replace(/\/$/, "");
  } catch {
    return address.replace(/\/\/[^@/]*@/, "//***@");
  }
}

/** The default warning report: a process warning, once per code until the situation changes. */
export function warnWith(prefix: string): (warning: TransportWarning) => void {
  let last = "";
  return (warning) => {
    if (warning.code === last && warning.code !== "skipped_message") return;
    last = warning.code;
    process.emitWarning(`${prefix}: ${warning.message}`, {
      code: `GEPPETTO_TRANSPORT_${warning.code.toUpperCase()}`,
    });
  };
}

/** One event waiting to be written. */
export interface Outgoing {
  topic: string;
  payload: string;
  /** The publisher's id and this event's number: together unique, they let a server drop a retried duplicate. */
  publisher: string;
  sequence: number;
}

/**
 * The publisher's side: `push` never waits; a loop writes batches in order. While the server is away the buffer
 * holds at most `capacity` events (the oldest go first, counted and reported) and the loop retries with
 * exponential backoff (50 ms doubling to 2 s).
 */
export class PublishBuffer {
  readonly #items: Outgoing[] = [];
  #writing: Promise<void> | undefined;
  #failures = 0;
  #wakeRetry: (() => void) | undefined;
  #prefix = `${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  #counter = 0;

  constructor(
    readonly capacity: number,
    readonly batchSize: number,
    /** Writes a batch in order; resolves with how many were written before a failure (throws for none). */
    readonly write: (batch: Outgoing[]) => Promise<number>,
    readonly stats: TransportStats,
    readonly warn: (warning: TransportWarning) => void,
    readonly describeServer: string,
  ) {}

  push(topic: string, payload: string): void {
    if (this.#items.length >= this.capacity) {
      this.#items.shift();
      this.stats.droppedWhileAway++;
      this.warn({
        code: "publish_buffer_full",
        message: `publish buffer full (${this.capacity} events): ${this.describeServer} is away or slower than the publisher; dropping the oldest`,
      });
    }
    this.#items.push({ topic, payload, publisher: this.#prefix, sequence: ++this.#counter });
    this.stats.buffered = this.#items.length;
    if (!this.#writing) {
      // From the next turn of the event loop: the events of one network read, published in several microtasks, go together.
      this.#writing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#drain());
    }
  }

  /** Retry now (the client reconnected). */
  retryNow(): void {
    this.#wakeRetry?.();
  }

  /** Resolves when every buffered event is written, or after `timeoutMs`. Returns how many are left. */
  async flush(timeoutMs: number): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    while (this.#writing && this.#items.length > 0) {
      const writing = this.#writing;
      if ((await Promise.race([writing.then(() => "done"), deadline.then(() => "timeout")])) === "timeout")
        break;
    }
    clearTimeout(timer);
    return this.#items.length;
  }

  async #drain(): Promise<void> {
    while (this.#items.length > 0) {
      const batch = this.#items.slice(0, this.batchSize);
      let written = 0;
      try {
        written = await this.write(batch);
      } catch (error) {
        written = 0;
        if (this.#failures === 0)
          this.warn({
            code: "server_unavailable",
            message: `${this.describeServer} unavailable (${(error as Error).message}); buffering and retrying`,
          });
      }
      this.#items.splice(0, written);
      this.stats.published += written;
      this.stats.buffered = this.#items.length;
      if (written === batch.length) {
        if (this.#failures > 0)
          this.warn({ code: "server_back", message: `${this.describeServer} is back; buffered events sent` });
        this.#failures = 0;
        continue;
      }
      this.#failures++;
      const delay = Math.min(50 * 2 ** (this.#failures - 1), 2000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wakeRetry = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeRetry = undefined;
    }
    this.#writing = undefined;
  }
}

/**
 * Events of one topic written together as one stream entry or message: one codec line per event (the JSON codec
 * never writes a raw newline). Batching is what keeps a busy publisher cheap: one command per frame, not per event.
 */
export interface Frame {
  topic: string;
  payload: string;
  /** How many events it carries. */
  count: number;
  /** Unique per publisher (the first event's id and the count). */
  messageId: string;
}

/** Groups consecutive events of the same topic into frames of at most `maxEvents` events and about `maxBytes`. */
export function framesOf(batch: Outgoing[], maxEvents: number, maxBytes: number): Frame[] {
  const frames: Frame[] = [];
  let lines: string[] = [];
  let bytes = 0;
  let first: Outgoing | undefined;
  const close = () => {
    if (!first) return;
    frames.push({
      topic: first.topic,
      payload: lines.join("\n"),
      count: lines.length,
      messageId: `${first.publisher}-${first.sequence}+${lines.length}`,
    });
    lines = [];
    bytes = 0;
    first = undefined;
  };
  for (const item of batch) {
    if (
      first &&
      (item.topic !== first.topic || lines.length >= maxEvents || bytes + item.payload.length > maxBytes)
    )
      close();
    first ??= item;
    lines.push(item.payload);
    bytes += item.payload.length + 1;
  }
  close();
  return frames;
}

/** A position `"<entry>/<index>"` (or just `"<entry>"`) split in two. */
export function parsePosition(position: string): { entry: string; index: number } {
  const slash = position.lastIndexOf("/");
  if (slash < 0) return { entry: position, index: 0 };
  return { entry: position.slice(0, slash), index: Number(position.slice(slash + 1)) || 0 };
}

/** Reads one message as an event; `undefined` for a message that is no geppetto event (to skip and count). */
export function readEvent(payload: string | undefined): GeppettoEvent | undefined {
  if (payload === undefined) return undefined;
  const event = decodeEvent(payload);
  if (event.type === "unknown" && event.originalType === "") return undefined;
  return event;
}
