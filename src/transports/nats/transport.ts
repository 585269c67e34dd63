/**
 * The NATS JetStream transport.
 *
 * - Publishing never waits on NATS: events go to a bounded buffer that a loop publishes in batches, each message
 *   with a `Nats-Msg-Id`, so a batch retried after a lost acknowledgement is deduplicated by the server (within
 *   the stream's duplicate window, 2 minutes).
 * - A subscription with `expireAfterMs` gets that `inactive_threshold`: the server deletes the consumer once no
 *   process has pulled from it for that long; `deleteSubscription` deletes one at once.
 * - Each handler is a durable pull consumer named after the handler (explicit acks, acknowledged after the
 *   handler has run, `ack_wait` = `claimIdleMs`). When a handler comes back and its consumer still has
 *   unacknowledged messages (its last process died), the consumer is recreated from its acknowledgement floor,
 *   so the handler resumes at once and in order rather than after `ack_wait`. (nats-server 2.9 has no consumer
 *   reset; this is the 2.9-compatible way.) One process per handler name.
 * - Retention: the stream keeps at most `maxLength` messages per topic (`max_msgs_per_subject`) and, if set,
 *   `maxAgeMs`; the oldest are discarded (`discard: old`), read or not.
 */

import type { ConsumerConfig, JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { CallerError } from "../../engine/errors.ts";
import type {
  DeliverEvent,
  EventTransport,
  ReplayFrom,
  SubscriptionOptions,
} from "../../events/transport.ts";
import type { GeppettoEvent } from "../../events/types.ts";
import { CompletionTracker, linesOfFrame, newestFirst } from "../compaction-reader.ts";
import {
  type Frame,
  FrameProgress,
  PublishBuffer,
  parsePosition,
  redactUrl,
  TransportConnectionError,
  type TransportStats,
  type TransportWarning,
  unknownVersionWarning,
  warnWith,
} from "../shared.ts";
import { AckedPublisher } from "./publisher.ts";

/** Options of {@link NatsJetStreamTransport}. */
export interface NatsJetStreamTransportOptions {
  /** One server or several (`nats://[user:password@]host:port`); credentials never appear in errors. */
  servers: string | string[];
  /** The JetStream stream. Default `"GEPPETTO_EVENTS"`. */
  stream?: string;
  /** Subject prefix: topic `chat` is subject `<prefix>.chat`. Default `"geppetto.events"`. */
  subjectPrefix?: string;
  /** Messages kept per topic (`max_msgs_per_subject`). Default 100,000. */
  maxLength?: number;
  /** Messages older than this are discarded. Default: no age limit. */
  maxAgeMs?: number;
  /** Events the publisher holds while NATS is away or behind; beyond it the oldest frames (events written together) are dropped and counted. Default 10,000. */
  maxBuffered?: number;
  /**
   * Most events written as one message when several are published together (one publish per message keeps a busy
   * publisher cheap). A consumer acknowledges whole messages, so after a crash the handled events of the message
   * it was in are delivered again (deduplicate them). Default 256; 1 publishes a message per event.
   */
  frameSize?: number;
  /** Messages pulled per request. Default 128. */
  batchSize?: number;
  /** A delivered message not acknowledged within this time is delivered again (`ack_wait`). Default 30 s. */
  claimIdleMs?: number;
  /** How long `connect()` tries before failing. Default 5 s. */
  connectTimeoutMs?: number;
  /** Warnings (server away or back, buffer full, skipped messages). Default: process warnings. */
  onWarning?: (warning: TransportWarning) => void;
}

interface Connected {
  connection: NatsConnection;
  /** The client's header constructor (loaded with the connection, not once per write). */
  headers: typeof import("@nats-io/transport-node").headers;
  client: JetStreamClient;
  manager: JetStreamManager;
  publisher: AckedPublisher;
}

const MILLISECONDS_TO_NANOS = 1_000_000;

/** The stream sequence of a position `"<sequence>/<index>"`. */
function startSequence(offset: string): number {
  const sequence = Number(parsePosition(offset).entry);
  if (!Number.isInteger(sequence) || sequence < 1)
    throw new CallerError(
      `NATS offset must be a position like "42/3" (stream sequence / index), got "${offset}"`,
      {
        code: "invalid_offset",
      },
    );
  return sequence;
}
const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Carries router events over NATS JetStream, at least once, in order per topic.
 *
 * @example
 * const transport = new NatsJetStreamTransport({ servers: "nats://127.0.0.1:4222", maxLength: 50_000 });
 * await transport.connect();
 * const router = new EventRouter({ transport });
 * router.addHandler("audit", "chat", deduplicate((event) => log.append(event)), { from: "beginning" });
 */
export class NatsJetStreamTransport implements EventTransport {
  readonly durable = true;
  readonly #options: Required<Omit<NatsJetStreamTransportOptions, "servers" | "maxAgeMs" | "onWarning">> & {
    servers: string[];
    maxAgeMs: number | undefined;
  };
  readonly #warn: (warning: TransportWarning) => void;
  /** Each topic's checked subject (publishing checks a topic once, not per event). */
  readonly #subjects = new Map<string, string>();
  readonly #stats: TransportStats = { published: 0, buffered: 0, droppedWhileAway: 0, skipped: 0 };
  readonly #buffer: PublishBuffer;
  readonly #describe: string;
  #connected: Promise<Connected> | undefined;
  #closed = false;
  /** The read loops' positions inside messages, saved before the connection closes. */
  readonly #progress = new Set<FrameProgress>();
  /** The read loops' acknowledgements not sent yet, sent before the connection closes. */
  readonly #acks = new Set<AckBatch>();

  constructor(options: NatsJetStreamTransportOptions) {
    const servers = Array.isArray(options.servers) ? options.servers : [options.servers];
    this.#options = {
      servers,
      stream: options.stream ?? "GEPPETTO_EVENTS",
      subjectPrefix: options.subjectPrefix ?? "geppetto.events",
      maxLength: options.maxLength ?? 100_000,
      maxAgeMs: options.maxAgeMs,
      maxBuffered: options.maxBuffered ?? 10_000,
      batchSize: options.batchSize ?? 128,
      frameSize: options.frameSize ?? 256,
      claimIdleMs: options.claimIdleMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    };
    if (!NAME.test(this.#options.stream))
      throw new CallerError(
        `NATS stream name must be letters, digits, _ or -, got "${this.#options.stream}"`,
      );
    this.#describe = `NATS at ${servers.map(redactUrl).join(", ")}`;
    this.#warn = options.onWarning ?? warnWith("NATS transport");
    this.#buffer = new PublishBuffer(
      this.#options.maxBuffered,
      { events: this.#options.frameSize, bytes: 512 * 1024 },
      (frames) => this.#write(frames),
      this.#stats,
      this.#warn,
      this.#describe,
    );
  }

  /** Counters: published, buffered, dropped while the server was away, skipped messages. */
  stats(): TransportStats {
    return { ...this.#stats };
  }

  /**
   * Connects and creates the stream if needed, or rejects with a `TransportConnectionError` naming the server
   * (credentials redacted). Optional: publishing before it buffers.
   */
  async connect(): Promise<void> {
    await this.#connection();
  }

  #connection(): Promise<Connected> {
    this.#connected ??= this.#open().catch((error: unknown) => {
      this.#connected = undefined;
      throw error;
    });
    return this.#connected;
  }

  async #open(): Promise<Connected> {
    const [
      { connect, createInbox, headers },
      { jetstream, jetstreamManager, DiscardPolicy, RetentionPolicy, StorageType },
    ] = await Promise.all([import("@nats-io/transport-node"), import("@nats-io/jetstream")]);
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: this.#options.servers,
        timeout: this.#options.connectTimeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        name: "geppetto",
      });
    } catch (error) {
      throw new TransportConnectionError(
        `cannot reach ${this.#describe} within ${this.#options.connectTimeoutMs} ms: ${(error as Error).message}`,
        error,
      );
    }
    const manager = await jetstreamManager(connection);
    const subjects = [`${this.#options.subjectPrefix}.>`];
    const config = {
      name: this.#options.stream,
      subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: this.#options.maxLength,
      max_age: (this.#options.maxAgeMs ?? 0) * MILLISECONDS_TO_NANOS,
      duplicate_window: 120_000 * MILLISECONDS_TO_NANOS,
      // Each durable consumer's position inside the messages it reads is one message that replaces the last.
      allow_rollup_hdrs: true,
    };
    try {
      await manager.streams.info(this.#options.stream);
      await manager.streams.update(this.#options.stream, config);
    } catch {
      await manager.streams.add(config);
    }
    if (this.#closed) await connection.close();
    void this.#watch(connection);
    const publisher = new AckedPublisher(connection, headers, createInbox(), 2000, (topic) =>
      this.#subject(topic),
    );
    return { connection, client: jetstream(connection), manager, headers, publisher };
  }

  async #watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === "disconnect")
        this.#warn({ code: "server_unavailable", message: `${this.#describe} disconnected; reconnecting` });
      if (status.type === "reconnect") {
        this.#warn({ code: "server_back", message: `${this.#describe} reconnected` });
        this.#buffer.retryNow();
      }
    }
  }

  #subject(topic: string): string {
    let subject = this.#subjects.get(topic);
    if (subject === undefined) {
      if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(topic))
        throw new CallerError(`NATS topic must be subject tokens without spaces, "*" or ">", got "${topic}"`);
      subject = `${this.#options.subjectPrefix}.${topic}`;
      this.#subjects.set(topic, subject);
    }
    return subject;
  }

  publish(topic: string, event: GeppettoEvent): void {
    if (this.#closed) throw new CallerError("NATS transport is closed", { code: "transport_closed" });
    this.#subject(topic);
    this.#buffer.push(topic, event);
  }

  /** Publishes a batch of frames (see publisher.ts); all or none are written. */
  async #write(frames: readonly Frame[]): Promise<number> {
    const { publisher } = await this.#connection();
    await publisher.publish(frames);
    return frames.length;
  }

  subscribe(topic: string, deliver: DeliverEvent, options: SubscriptionOptions): () => Promise<void> {
    if (!NAME.test(options.name))
      throw new CallerError(
        `NATS durable consumer names are letters, digits, _ or -: handler "${options.name}" cannot be one`,
      );
    const subject = this.#subject(topic);
    if (typeof options.from === "object") startSequence(options.from.offset); // a bad offset fails here, naming it
    const control = { stopped: false, stop: () => {} };
    const loop = this.#readLoop(subject, deliver, options, control);
    return async () => {
      control.stopped = true;
      control.stop();
      await loop;
    };
  }

  /** Deletes the handler's durable consumer. */
  async deleteSubscription(_topic: string, name: string): Promise<boolean> {
    const { manager } = await this.#connection();
    return manager.consumers.delete(this.#options.stream, name).catch(() => false);
  }

  async #consumerConfig(from: ReplayFrom): Promise<Partial<ConsumerConfig>> {
    const { DeliverPolicy } = await import("@nats-io/jetstream");
    if (from === "beginning") return { deliver_policy: DeliverPolicy.All };
    if (from === "now") return { deliver_policy: DeliverPolicy.New };
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSequence(from.offset) };
  }

  async #ensureConsumer(
    manager: JetStreamManager,
    subject: string,
    options: SubscriptionOptions,
  ): Promise<void> {
    const { AckPolicy } = await import("@nats-io/jetstream");
    const stream = this.#options.stream;
    const base: Partial<ConsumerConfig> = {
      durable_name: options.name,
      ack_policy: AckPolicy.Explicit,
      filter_subject: subject,
      ack_wait: this.#options.claimIdleMs * MILLISECONDS_TO_NANOS,
      max_ack_pending: Math.max(this.#options.batchSize * 8, 1024),
      ...(options.expireAfterMs === undefined
        ? {}
        : { inactive_threshold: Math.round(options.expireAfterMs) * MILLISECONDS_TO_NANOS }),
    };
    let existing: Awaited<ReturnType<JetStreamManager["consumers"]["info"]>> | undefined;
    try {
      existing = await manager.consumers.info(stream, options.name);
    } catch {
      existing = undefined;
    }
    if (!existing) {
      await manager.consumers.add(stream, {
        ...base,
        ...(await this.#consumerConfig(options.from ?? "beginning")),
      });
      return;
    }
    if (existing.num_ack_pending === 0 && existing.config.filter_subject === subject) return;
    // The last process of this handler died with messages unacknowledged: start again after its ack floor.
    await manager.consumers.delete(stream, options.name);
    await manager.consumers.add(stream, {
      ...base,
      ...(await this.#consumerConfig({ offset: String(existing.ack_floor.stream_seq + 1) })),
    });
  }

  async #readLoop(
    subject: string,
    deliver: DeliverEvent,
    options: SubscriptionOptions,
    control: { stopped: boolean; stop: () => void },
  ): Promise<void> {
    let failures = 0;
    const from = options.from ?? "beginning";
    let startAt = typeof from === "object" ? parsePosition(from.offset) : undefined;
    const tracker = new CompletionTracker();
    const progressSubject = `${this.#options.subjectPrefix}._progress.${options.name}`;
    const progress = new FrameProgress(
      (first, second) => Number(first) - Number(second),
      async (position) => {
        const { client, headers } = await this.#connection();
        const rollup = headers();
        rollup.set("Nats-Rollup", "sub");
        await client.publish(progressSubject, position, { headers: rollup, timeout: 2000 });
      },
    );
    this.#progress.add(progress);
    let progressLoaded = false;
    /** The last event handed to the router (it may still wait in the handler's queue). */
    let delivered: { sequence: number; index: number } | undefined;
    const acks = new AckBatch();
    this.#acks.add(acks);
    while (!control.stopped) {
      try {
        const { client, manager } = await this.#connection();
        if (!progressLoaded) {
          const saved = await manager.streams
            .getMessage(this.#options.stream, { last_by_subj: progressSubject })
            .catch(() => null);
          progress.load(saved ? new TextDecoder().decode(saved.data) : undefined);
          progressLoaded = true;
        }
        await this.#ensureConsumer(manager, subject, options);
        const consumer = await client.consumers.get(this.#options.stream, options.name);
        const messages = await consumer.consume({ max_messages: this.#options.batchSize });
        control.stop = () => void messages.close().catch(() => {});
        if (control.stopped) control.stop();
        failures = 0;
        for await (const message of messages) {
          const acknowledge = () => acks.add(message);
          const { events, skipped, unknownVersion } = linesOfFrame(message.string());
          if (unknownVersion !== undefined) {
            this.#stats.skipped += skipped;
            this.#warn(
              unknownVersionWarning(
                unknownVersion,
                `message ${message.seq} on "${message.subject}"`,
                skipped,
              ),
            );
          } else if (skipped > 0) {
            this.#stats.skipped += skipped;
            this.#warn({
              code: "skipped_message",
              message: `skipped ${skipped} message(s) in ${message.seq} on "${message.subject}": not geppetto events`,
            });
          }
          if (events.length === 0) acknowledge();
          for (let position = 0; position < events.length; position++) {
            const wire = events[position]!;
            let rebuilt = tracker.complete(subject, wire, () =>
              newestFirst(events.slice(0, position), this.#earlierFrames(manager, subject, message.seq)),
            );
            if (typeof rebuilt !== "boolean") rebuilt = await rebuilt;
            if (!rebuilt)
              this.#warn({
                code: "incomplete_text",
                message: `message ${message.seq} on "${subject}": the text before this event was discarded; completion holds the delta only`,
              });
            if (startAt && startAt.entry === String(message.seq) && wire.index < startAt.index) continue;
            // The message is acknowledged once its last event has been handled.
            const last = wire.index === events[events.length - 1]!.index;
            const sequence = message.seq;
            // The consumer delivers in stream order: an event at or before where this handler got was delivered
            // again (a restart, a reconnection): skip it if it was handled, or handed over and not yet handled.
            if (progress.handled(String(sequence), wire.index)) {
              if (last) acknowledge();
              continue;
            }
            if (delivered && sequence <= delivered.sequence) {
              if (sequence !== delivered.sequence || wire.index <= delivered.index) continue;
            }
            delivered = { sequence, index: wire.index };
            const index = wire.index;
            const handled = () => {
              progress.record(String(sequence), index, last);
              if (last) acknowledge();
            };
            // A promise only when the handler's buffer is full (the lossless policy waits): none per event.
            const accepted = deliver(wire.event, handled, `${sequence}/${wire.index}`);
            if (accepted) await accepted;
          }
          startAt = undefined;
          if (control.stopped) break;
        }
      } catch (error) {
        if (control.stopped) break;
        failures++;
        if (failures === 1)
          this.#warn({
            code: "server_unavailable",
            message: `reading "${subject}" for "${options.name}" failed (${(error as Error).message}); retrying`,
          });
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** failures, 2000)));
      }
    }
    acks.send();
    this.#acks.delete(acks);
    await progress.flush();
    this.#progress.delete(progress);
  }

  /** The subject's messages before stream sequence `sequence`, newest first (to rebuild a message's text). */
  async *#earlierFrames(
    manager: JetStreamManager,
    subject: string,
    sequence: number,
  ): AsyncIterable<string | undefined> {
    for (let earlier = sequence - 1, scanned = 0; earlier >= 1 && scanned < 20_000; earlier--, scanned++) {
      const stored = await manager.streams
        .getMessage(this.#options.stream, { seq: earlier })
        .catch(() => null);
      if (!stored || stored.subject !== subject) continue;
      yield new TextDecoder().decode(stored.data);
    }
  }

  /** Publishes what is buffered (waiting at most `connectTimeoutMs`), sends pending acks, disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const left = await this.#buffer.flush(this.#options.connectTimeoutMs);
    if (left > 0)
      this.#warn({
        code: "unsent_at_close",
        message: `${left} event(s) not sent: ${this.#describe} unreachable at close`,
      });
    for (const acks of this.#acks) acks.send();
    await Promise.all([...this.#progress].map((progress) => progress.flush()));
    const connected = await this.#connected?.catch(() => undefined);
    if (connected) {
      connected.publisher.close();
      await connected.connection.flush().catch(() => {});
      await connected.connection.close();
    }
  }
}

/**
 * Acknowledgements of one read loop, sent together after the current turn of the event loop: the messages handled
 * in one turn cost one socket write, not one each (the client writes what is queued in one microtask together).
 */
class AckBatch {
  #messages: { ack(): void }[] = [];
  #scheduled = false;

  add(message: { ack(): void }): void {
    this.#messages.push(message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.send());
  }

  send(): void {
    this.#scheduled = false;
    const messages = this.#messages;
    this.#messages = [];
    for (const message of messages) {
      try {
        message.ack();
      } catch {
        // connection gone: delivered again after ack_wait or on resume; deduplicate
      }
    }
  }
}
