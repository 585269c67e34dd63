/**
 * What the Redis Streams and NATS JetStream transports share: the bounded publish buffer that retries with
 * backoff while the server is away and writes frames encoded once, warnings, and errors that name the server
 * without its credentials.
 */
import { GeppettoError } from "../engine/errors.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { FRAME_HEADER, FRAME_VERSION } from "./compaction.ts";
import { CompactingEncoder, FrameLines } from "./compaction-encoder.ts";

export { redactUrl } from "./redact-url.ts";

/** Something a transport reports without failing: the server is away or back, a buffer is full, a bad message. */
export interface TransportWarning {
  code:
    | "server_unavailable"
    | "server_back"
    | "publish_buffer_full"
    | "skipped_message"
    | "unknown_frame_version"
    | "incomplete_text"
    | "unsent_at_close";
  message: string;
}

/** The warning for a frame of a version this reader does not know (its lines were skipped and counted). */
export function unknownVersionWarning(version: string, where: string, lines: number): TransportWarning {
  return {
    code: "unknown_frame_version",
    message: `${where} is frame format version "${version}", which this reader does not know (it reads ${FRAME_VERSION} and unversioned frames): skipped its ${lines} line(s); upgrade geppetto to read it`,
  };
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

/** The default warning report: a process warning, once per code until the situation changes. */
export function warnWith(prefix: string): (warning: TransportWarning) => void {
  let last = "";
  return (warning) => {
    if (
      warning.code === last &&
      warning.code !== "skipped_message" &&
      warning.code !== "unknown_frame_version"
    )
      return;
    last = warning.code;
    process.emitWarning(`${prefix}: ${warning.message}`, {
      code: `GEPPETTO_TRANSPORT_${warning.code.toUpperCase()}`,
    });
  };
}

/**
 * Events of one topic written together as one stream entry or message, encoded once as they are published (one
 * line per event, see compaction.ts; the JSON codec never writes a raw newline). Batching is what keeps a busy
 * publisher cheap: one command per frame, not per event.
 */
export interface Frame {
  readonly topic: string;
  readonly lines: FrameLines;
  /** The lines joined, once the frame is closed (no more events go into it). */
  payload: string;
  /** Unique per publisher (set when closed): lets a server drop a retried duplicate. */
  messageId: string;
  closed: boolean;
}

/** Limits of the frames a {@link PublishBuffer} writes. */
export interface FrameLimits {
  /** Most events per frame. */
  events: number;
  /** About the most characters per frame (one event alone may exceed it). */
  bytes: number;
}

/**
 * The most one write carries: whole frames, about this many events and characters (one frame alone may exceed
 * them). While a write is in flight a busy publisher's events wait and go together in the next write, so the
 * writes are as big as the backlog: a write's fixed cost (a command, a socket write, a reply to read) is about
 * that of encoding a hundred events, and an engine that reads a fast stream publishes thousands of events between
 * two turns of the event loop.
 */
export const WRITE_LIMITS: FrameLimits = { events: 4096, bytes: 1024 * 1024 };

/**
 * The publisher's side: `push` never waits; it encodes the event into the topic's open frame, and a loop writes
 * the frames in order, one write at a time: the first on the next turn of the event loop, then whatever was
 * published while the previous write was in flight, at once (never on a timer). While the server is away the buffer holds at most `capacity`
 * events (the oldest frames not being written go first, counted and reported) and the loop retries with
 * exponential backoff (50 ms doubling to 2 s). A frame is encoded once: a retry writes the same bytes.
 */
export class PublishBuffer {
  readonly #frames: Frame[] = [];
  readonly #open = new Map<string, Frame>();
  readonly #encoder = new CompactingEncoder();
  #events = 0;
  /** Frames at the head of `#frames` being written now (never dropped). */
  #inFlight = 0;
  #writing: Promise<void> | undefined;
  #failures = 0;
  #wakeRetry: (() => void) | undefined;
  #prefix = `${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  #counter = 0;

  constructor(
    readonly capacity: number,
    /** Limits of each frame (a write carries whole frames up to {@link WRITE_LIMITS}). */
    readonly limits: FrameLimits,
    /** Writes frames in order; resolves with how many were written before a failure (throws for none). */
    readonly write: (frames: readonly Frame[]) => Promise<number>,
    readonly stats: TransportStats,
    readonly warn: (warning: TransportWarning) => void,
    readonly describeServer: string,
  ) {}

  push(topic: string, event: GeppettoEvent): void {
    if (this.#events >= this.capacity && !this.#dropOldest()) {
      this.#full(1);
      return;
    }
    let frame = this.#open.get(topic);
    if (
      frame === undefined ||
      frame.lines.lines.length >= this.limits.events ||
      frame.lines.bytes >= this.limits.bytes
    ) {
      if (frame !== undefined) this.#close(frame);
      frame = { topic, lines: new FrameLines(), payload: "", messageId: "", closed: false };
      this.#frames.push(frame);
      this.#open.set(topic, frame);
    }
    this.#encoder.encodeInto(frame.lines, topic, event);
    this.#events++;
    this.stats.buffered = this.#events;
    if (!this.#writing) this.#writing = this.#nextTurn().then(() => this.#drain());
  }

  /**
   * Waits one turn of the event loop before the first write, without a timer: the events of one network read,
   * published in several microtasks, go together, and a lone event goes at once. After that, events published
   * while a write is in flight wait for it and go together in the next write, at once when it returns: the
   * batches grow with the rate of events and the server's round trip, and nothing waits while nothing is in flight.
   */
  #nextTurn(): Promise<void> {
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  #close(frame: Frame): void {
    if (frame.closed) return;
    frame.closed = true;
    if (this.#open.get(frame.topic) === frame) this.#open.delete(frame.topic);
    frame.payload = `${FRAME_HEADER}\n${frame.lines.lines.join("\n")}`;
    frame.messageId = `${this.#prefix}-${++this.#counter}+${frame.lines.lines.length}`;
  }

  /** Drops the oldest frame not being written; false when every frame is being written. */
  #dropOldest(): boolean {
    const frame = this.#frames[this.#inFlight];
    if (frame === undefined) return false;
    this.#frames.splice(this.#inFlight, 1);
    if (this.#open.get(frame.topic) === frame) this.#open.delete(frame.topic);
    const count = frame.lines.lines.length;
    this.#events -= count;
    this.#full(count);
    return true;
  }

  #full(dropped: number): void {
    this.stats.droppedWhileAway += dropped;
    this.warn({
      code: "publish_buffer_full",
      message: `publish buffer full (${this.capacity} events): ${this.describeServer} is away or slower than the publisher; dropping the oldest`,
    });
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
    while (this.#writing && this.#events > 0) {
      const writing = this.#writing;
      if ((await Promise.race([writing.then(() => "done"), deadline.then(() => "timeout")])) === "timeout")
        break;
    }
    clearTimeout(timer);
    return this.#events;
  }

  /** The frames of the next write: whole frames, within {@link WRITE_LIMITS}, closed. */
  #batch(): Frame[] {
    const batch: Frame[] = [];
    let events = 0;
    let bytes = 0;
    for (const frame of this.#frames) {
      const count = frame.lines.lines.length;
      if (
        batch.length > 0 &&
        (events + count > WRITE_LIMITS.events || bytes + frame.lines.bytes > WRITE_LIMITS.bytes)
      )
        break;
      this.#close(frame);
      batch.push(frame);
      events += count;
      bytes += frame.lines.bytes;
    }
    return batch;
  }

  async #drain(): Promise<void> {
    while (this.#frames.length > 0) {
      const batch = this.#batch();
      this.#inFlight = batch.length;
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
      this.#inFlight = 0;
      let events = 0;
      for (let index = 0; index < written; index++) events += batch[index]!.lines.lines.length;
      this.#frames.splice(0, written);
      this.#events -= events;
      this.stats.published += events;
      this.stats.buffered = this.#events;
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

/** A position `"<entry>/<index>"` (or just `"<entry>"`) split in two. */
export function parsePosition(position: string): { entry: string; index: number } {
  const slash = position.lastIndexOf("/");
  if (slash < 0) return { entry: position, index: 0 };
  return { entry: position.slice(0, slash), index: Number(position.slice(slash + 1)) || 0 };
}

/**
 * Where a handler group got to inside the frames it reads: the last event it handled (entry or message, and
 * line). A frame is acknowledged once its last event is handled, so a consumer that comes back (reconnected,
 * restarted, or another consumer of the group claiming the frame) gets a partly handled frame again; it skips the
 * events up to this position, so it resumes at the event after the last one handled, without repeats. The
 * position is saved on the server when a frame stays partly handled past the current turn of the event loop (one
 * save at a time, the newest position); a frame whose last event is handled needs no save, its acknowledgement
 * covers it, so a consumer that keeps up saves nothing but its acknowledgements. A crash between a handler and
 * its save (or its acknowledgement) repeats those events: deduplicate by id + seq.
 */
export class FrameProgress {
  #entry: string | undefined;
  #index = -1;
  #unsaved = false;
  #scheduled = false;
  #saving: Promise<void> | undefined;

  constructor(
    /** Orders two entries (negative: the first is older). */
    readonly compare: (first: string, second: string) => number,
    /** Saves a position `"<entry>/<index>"` on the server. */
    readonly save: (position: string) => Promise<void>,
  ) {}

  /** Starts from a saved position (`undefined`: none saved). */
  load(position: string | undefined): void {
    if (position === undefined) return;
    const { entry, index } = parsePosition(position);
    if (this.#entry === undefined || this.compare(entry, this.#entry) > 0) {
      this.#entry = entry;
      this.#index = index;
    }
  }

  /** True when the event at (`entry`, `index`) was handled already: it is skipped. */
  handled(entry: string, index: number): boolean {
    if (this.#entry === undefined) return false;
    const order = this.compare(entry, this.#entry);
    return order < 0 || (order === 0 && index <= this.#index);
  }

  /**
   * Records that the event at (`entry`, `index`) was handled; `lastOfFrame` when it is its frame's last event
   * (the frame is being acknowledged: nothing to save). Otherwise the position is saved after this turn unless
   * the frame's last event is handled first.
   */
  record(entry: string, index: number, lastOfFrame: boolean): void {
    this.#entry = entry;
    this.#index = index;
    this.#unsaved = !lastOfFrame;
    if (lastOfFrame || this.#scheduled || this.#saving) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#unsaved) this.#saving ??= this.#saveLoop();
    });
  }

  async #saveLoop(): Promise<void> {
    while (this.#unsaved) {
      this.#unsaved = false;
      await this.save(`${this.#entry}/${this.#index}`).catch(() => {
        // not saved: a consumer that comes back repeats the events after the last saved position (deduplicate)
      });
    }
    this.#saving = undefined;
  }

  /** Resolves once the newest position is saved (or its save failed). */
  async flush(): Promise<void> {
    if (this.#unsaved) this.#saving ??= this.#saveLoop();
    while (this.#saving) await this.#saving;
  }
}
