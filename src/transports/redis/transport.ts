/**
 * The Redis Streams transport.
 *
 * - Publishing never waits on Redis: events go to a bounded buffer that a loop writes in pipelined batches
 *   (`XADD <key> MAXLEN ~ <maxLength> * event <json>`), retrying with backoff while the server is away.
 * - Each handler is a consumer group named after the handler, read and acknowledged as consumer.ts describes;
 *   `deleteSubscription` destroys one at once.
 * - Retention: `MAXLEN ~` trims each stream to about `maxLength` entries (Redis trims whole macro nodes, so a
 *   stream may hold somewhat more); trimming removes the oldest entries even if a slow group has not read them.
 */
import type { Redis as RedisClient } from "ioredis";
import { CallerError } from "../../engine/errors.ts";
import type { DeliverEvent, EventTransport, SubscriptionOptions } from "../../events/transport.ts";
import type { GeppettoEvent } from "../../events/types.ts";
import {
  type Frame,
  PublishBuffer,
  redactUrl,
  TransportConnectionError,
  type TransportStats,
  type TransportWarning,
  warnWith,
} from "../shared.ts";
import { RedisStreamsConsumer, retryStrategy } from "./consumer.ts";

/** Options of {@link RedisStreamsTransport}. */
export interface RedisStreamsTransportOptions {
  /** `redis://[user:password@]host:port[/db]`; the password never appears in errors or warnings. */
  url: string;
  /** Prefix of the stream keys. Default `"geppetto:events:"`. */
  keyPrefix?: string;
  /** Approximate number of entries each stream keeps (`MAXLEN ~`). Default 100,000. */
  maxLength?: number;
  /** Events the publisher holds while Redis is away or behind; beyond it the oldest frames (events written together) are dropped and counted. Default 10,000. */
  maxBuffered?: number;
  /**
   * Most events written as one entry when several are published together (one command per entry keeps a busy
   * publisher cheap). A consumer acknowledges whole entries, so after a crash the handled events of the entry
   * it was in are delivered again (deduplicate them). Default 256; 1 writes an entry per event.
   */
  frameSize?: number;
  /** Entries read per request. Default 128. */
  batchSize?: number;
  /** A pending entry of another consumer of the group is claimed after this idle time. Default 30 s. */
  claimIdleMs?: number;
  /** Consumer name inside each group. Default: the handler's name (one process per handler name). */
  consumerName?: string;
  /** How long `connect()` tries before failing. Default 5 s. */
  connectTimeoutMs?: number;
  /** Warnings (server away or back, buffer full, skipped messages). Default: process warnings. */
  onWarning?: (warning: TransportWarning) => void;
}

/**
 * Carries router events over Redis Streams, at least once, in order per topic.
 *
 * @example
 * const transport = new RedisStreamsTransport({ url: "redis://127.0.0.1:6379", maxLength: 50_000 });
 * await transport.connect();
 * const router = new EventRouter({ transport });
 * router.addHandler("audit", "chat", deduplicate((event) => log.append(event)), { from: "beginning" });
 */
export class RedisStreamsTransport implements EventTransport {
  readonly durable = true;
  readonly #options: Required<Omit<RedisStreamsTransportOptions, "consumerName" | "onWarning">> & {
    consumerName: string | undefined;
  };
  readonly #warn: (warning: TransportWarning) => void;
  readonly #stats: TransportStats = { published: 0, buffered: 0, droppedWhileAway: 0, skipped: 0 };
  readonly #buffer: PublishBuffer;
  readonly #clients = new Set<RedisClient>();
  readonly #consumer: RedisStreamsConsumer;
  #redisClass: Promise<typeof RedisClient> | undefined;
  #writer: Promise<RedisClient> | undefined;
  /** Acknowledgements and group setup: outlives the readers, so acks sent while the router drains arrive. */
  #commands: Promise<RedisClient> | undefined;
  #closed = false;
  #lastConnectionError: Error | undefined;

  constructor(options: RedisStreamsTransportOptions) {
    this.#options = {
      url: options.url,
      keyPrefix: options.keyPrefix ?? "geppetto:events:",
      maxLength: options.maxLength ?? 100_000,
      maxBuffered: options.maxBuffered ?? 10_000,
      batchSize: options.batchSize ?? 128,
      frameSize: options.frameSize ?? 256,
      claimIdleMs: options.claimIdleMs ?? 30_000,
      consumerName: options.consumerName,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    };
    this.#warn = options.onWarning ?? warnWith("Redis transport");
    this.#buffer = new PublishBuffer(
      this.#options.maxBuffered,
      { events: this.#options.frameSize, bytes: 256 * 1024 },
      (frames) => this.#write(frames),
      this.#stats,
      this.#warn,
      `Redis at ${redactUrl(options.url)}`,
    );
    this.#consumer = new RedisStreamsConsumer({
      keyPrefix: this.#options.keyPrefix,
      batchSize: this.#options.batchSize,
      claimIdleMs: this.#options.claimIdleMs,
      consumerName: this.#options.consumerName,
      stats: this.#stats,
      warn: this.#warn,
      key: (topic) => this.#key(topic),
      reader: () => this.#client("reader"),
      commands: () => {
        this.#commands ??= this.#client("reader");
        return this.#commands;
      },
    });
  }

  /** Counters: published, buffered, dropped while the server was away, skipped messages. */
  stats(): TransportStats {
    return { ...this.#stats };
  }

  async #client(purpose: "writer" | "reader"): Promise<RedisClient> {
    this.#redisClass ??= import("ioredis").then((module) => module.Redis);
    const Redis = await this.#redisClass;
    const client = new Redis(this.#options.url, {
      protocol: 2,
      lazyConnect: true,
      retryStrategy,
      connectTimeout: this.#options.connectTimeoutMs,
      // The writer has its own buffer; a reader's commands wait for the reconnection.
      enableOfflineQueue: purpose === "reader",
      maxRetriesPerRequest: purpose === "reader" ? null : 0,
      connectionName: `geppetto-${purpose}`,
    });
    client.on("error", (error: Error) => {
      this.#lastConnectionError = error; // reported through connect(), the publish buffer and the read loops
    });
    if (purpose === "writer") client.on("ready", () => this.#buffer.retryNow());
    this.#clients.add(client);
    client.connect().catch(() => {});
    return client;
  }

  /**
   * Connects the publisher, or rejects with a `TransportConnectionError` naming the server (password redacted).
   * Optional: publishing before it buffers.
   */
  async connect(): Promise<void> {
    this.#writer ??= this.#client("writer");
    const writer = await this.#writer;
    const deadline = Date.now() + this.#options.connectTimeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        await writer.call("PING");
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const reason = this.#lastConnectionError ?? (lastError as Error | undefined);
    throw new TransportConnectionError(
      `cannot reach Redis at ${redactUrl(this.#options.url)} within ${this.#options.connectTimeoutMs} ms: ${reason?.message ?? "no answer"}`,
      lastError,
    );
  }

  #key(topic: string): string {
    return `${this.#options.keyPrefix}${topic}`;
  }

  publish(topic: string, event: GeppettoEvent): void {
    if (this.#closed) throw new CallerError("Redis transport is closed", { code: "transport_closed" });
    this.#buffer.push(topic, event);
  }

  /**
   * The XADD of a frame. Its payload goes as UTF-8 bytes, converted once here: given a string, ioredis measures its
   * UTF-8 length, concatenates it into the command's text and the socket converts that, three passes over it.
   */
  #xadd(frame: Frame): [string, ...(string | Buffer)[]] {
    const key = this.#key(frame.topic);
    return [key, "MAXLEN", "~", String(this.#options.maxLength), "*", "events", Buffer.from(frame.payload)];
  }

  /** Writes frames as XADDs (one pipeline); resolves with how many were written before the first failure. */
  async #write(frames: readonly Frame[]): Promise<number> {
    this.#writer ??= this.#client("writer");
    const writer = await this.#writer;
    if (frames.length === 1) {
      // The common case while streaming (one network read's events): one command, no pipeline object.
      await writer.call("XADD", ...this.#xadd(frames[0]!));
      return 1;
    }
    const pipeline = writer.pipeline();
    for (const frame of frames) pipeline.call("XADD", ...this.#xadd(frame));
    const results = (await pipeline.exec()) ?? [];
    let written = 0;
    while (written < frames.length && results[written] && !results[written]![0]) written++;
    if (written === 0 && frames.length > 0) throw (results[0]?.[0] as Error) ?? new Error("no reply");
    return written;
  }

  subscribe(topic: string, deliver: DeliverEvent, options: SubscriptionOptions): () => Promise<void> {
    return this.#consumer.subscribe(topic, deliver, options);
  }

  /** Destroys the handler's consumer group (and what it had not acknowledged). */
  deleteSubscription(topic: string, name: string): Promise<boolean> {
    return this.#consumer.deleteSubscription(topic, name);
  }

  /** Writes what is buffered (waiting at most `connectTimeoutMs`), reports what could not be sent, disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const left = await this.#buffer.flush(this.#options.connectTimeoutMs);
    if (left > 0)
      this.#warn({
        code: "unsent_at_close",
        message: `${left} event(s) not sent: Redis unreachable at close`,
      });
    await this.#consumer.flush();
    const commands = await this.#commands;
    this.#clients.delete(commands as RedisClient);
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
    if (commands) await commands.quit().catch(() => commands.disconnect()); // after the pending acknowledgements
  }
}
