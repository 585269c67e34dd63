/**
 * The Redis Streams transport.
 *
 * - Publishing never waits on Redis: events go to a bounded buffer that a loop writes in pipelined batches
 *   (`XADD <key> MAXLEN ~ <maxLength> * event <json>`), retrying with backoff while the server is away.
 * - Each handler is a consumer group named after the handler; its consumer (by default also the handler's name)
 *   first re-reads what it had received but not acknowledged (its pending entries, in order), then reads new
 *   entries; it acknowledges (`XACK`) each entry after the handler has run. Entries left pending by another
 *   consumer of the group for `claimIdleMs` are claimed (`XAUTOCLAIM`).
 * - A subscription with `expireAfterMs` has its group destroyed by the stream's other subscribers once it has not
 *   read for that long (a heartbeat key, see expiring.ts); `deleteSubscription` destroys one at once.
 * - Retention: `MAXLEN ~` trims each stream to about `maxLength` entries (Redis trims whole macro nodes, so a
 *   stream may hold somewhat more); trimming removes the oldest entries even if a slow group has not read them.
 */
import type { Redis as RedisClient } from "ioredis";
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
import { destroyGroup, REAP_EVERY_MS, reapExpiredGroups, renewExpiring } from "./expiring.ts";

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

type Entry = [id: string, fields: string[] | null];
interface AckBatch {
  readonly key: string;
  readonly group: string;
  ids: string[];
  sending: Promise<void> | undefined;
}

const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 2000);

/** `{ offset }` is inclusive; a group starts after the id it is created with. */
function groupStart(from: ReplayFrom): string {
  if (from === "beginning") return "0";
  if (from === "now") return "$";
  const match = /^(\d+)(?:-(\d+))?$/.exec(parsePosition(from.offset).entry);
  if (!match)
    throw new CallerError(`Redis offset must be a position like "1700000000000-0/3", got "${from.offset}"`, {
      code: "invalid_offset",
    });
  const milliseconds = BigInt(match[1]!);
  const sequence = BigInt(match[2] ?? "0");
  if (sequence > 0n) return `${milliseconds}-${sequence - 1n}`;
  return milliseconds > 0n ? `${milliseconds - 1n}-18446744073709551615` : "0";
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
  /** The read loops' positions inside entries, saved before the connections close. */
  readonly #progress = new Set<FrameProgress>();
  #redisClass: Promise<typeof RedisClient> | undefined;
  #writer: Promise<RedisClient> | undefined;
  /** Acknowledgements and group setup: outlives the readers, so acks sent while the router drains arrive. */
  #commands: Promise<RedisClient> | undefined;
  #closed = false;
  #lastConnectionError: Error | undefined;
  /** Acknowledgements waiting for the XACK in flight, per stream and group. */
  readonly #acks = new Map<string, AckBatch>();

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
      this.#options.batchSize * 4,
      { events: this.#options.frameSize, bytes: 256 * 1024 },
      (frames) => this.#write(frames),
      this.#stats,
      this.#warn,
      `Redis at ${redactUrl(options.url)}`,
    );
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

  /** Writes frames as XADDs (one pipeline); resolves with how many were written before the first failure. */
  async #write(frames: readonly Frame[]): Promise<number> {
    this.#writer ??= this.#client("writer");
    const writer = await this.#writer;
    const maxLength = String(this.#options.maxLength);
    if (frames.length === 1) {
      // The common case while streaming (one network read's events): one command, no pipeline object.
      const frame = frames[0]!;
      await writer.call(
        "XADD",
        this.#key(frame.topic),
        "MAXLEN",
        "~",
        maxLength,
        "*",
        "events",
        frame.payload,
      );
      return 1;
    }
    const pipeline = writer.pipeline();
    for (const frame of frames)
      pipeline.call("XADD", this.#key(frame.topic), "MAXLEN", "~", maxLength, "*", "events", frame.payload);
    const results = (await pipeline.exec()) ?? [];
    let written = 0;
    while (written < frames.length && results[written] && !results[written]![0]) written++;
    if (written === 0 && frames.length > 0) throw (results[0]?.[0] as Error) ?? new Error("no reply");
    return written;
  }

  subscribe(topic: string, deliver: DeliverEvent, options: SubscriptionOptions): () => Promise<void> {
    if (typeof options.from === "object") groupStart(options.from); // a bad offset fails here, naming it
    let stopped = false;
    let reader: RedisClient | undefined;
    const loop = this.#readLoop(
      topic,
      deliver,
      options,
      () => stopped,
      (client) => {
        reader = client;
      },
    );
    return async () => {
      stopped = true;
      reader?.disconnect();
      await loop;
    };
  }

  async #readLoop(
    topic: string,
    deliver: DeliverEvent,
    options: SubscriptionOptions,
    stopped: () => boolean,
    setReader: (client: RedisClient) => void,
  ): Promise<void> {
    const key = this.#key(topic);
    const group = options.name;
    const consumer = this.#options.consumerName ?? options.name;
    const reader = await this.#client("reader");
    setReader(reader);
    if (stopped()) reader.disconnect();
    const count = String(this.#options.batchSize);
    let pendingFrom: string | undefined = "0"; // first our own unacknowledged entries, then new ones
    let groupReady = false;
    let nextBeat = 0;
    let nextReap = 0;
    // Our own pending entries are read first (and skipped up to where we got); others' after they idled.
    let nextClaim = Date.now() + this.#options.claimIdleMs / 2;
    let failures = 0;
    const from = options.from ?? "beginning";
    let startAt = typeof from === "object" ? parsePosition(from.offset) : undefined;
    const tracker = new CompletionTracker();
    const progressField = `${topic}/${group}/${consumer}`;
    const progress = this.#progressOf(progressField);
    let progressLoaded = false;
    /** The last event handed to the router (it may still wait in the handler's queue). */
    let delivered: { entry: string; index: number } | undefined;
    while (!stopped()) {
      try {
        // Recorded before the group exists, so that a process killed right after creating it is still reaped.
        if (options.expireAfterMs !== undefined && Date.now() >= nextBeat) {
          nextBeat = Date.now() + options.expireAfterMs / 4;
          await renewExpiring(reader, key, group, options.expireAfterMs);
        }
        if (!groupReady) {
          await reader
            .call("XGROUP", "CREATE", key, group, groupStart(options.from ?? "beginning"), "MKSTREAM")
            .catch((error: Error) => {
              if (!/BUSYGROUP/.test(error.message)) throw error;
            });
          groupReady = true;
        }
        if (!progressLoaded) {
          progress.load(
            ((await reader.call("HGET", this.#progressKey, progressField)) as string | null) ?? undefined,
          );
          progressLoaded = true;
        }
        let entries: Entry[] = [];
        let claimed = false;
        let ownPending = false;
        if (Date.now() >= nextClaim) {
          nextClaim = Date.now() + this.#options.claimIdleMs / 2;
          const reply = (await reader.call(
            "XAUTOCLAIM",
            key,
            group,
            consumer,
            String(this.#options.claimIdleMs),
            "0-0",
            "COUNT",
            count,
          )) as [string, Entry[]];
          entries = reply[1] ?? [];
          claimed = entries.length > 0;
        }
        if (entries.length === 0) {
          const reply = (await reader.call(
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "COUNT",
            count,
            ...(pendingFrom === undefined ? ["BLOCK", "1000"] : []),
            "STREAMS",
            key,
            pendingFrom ?? ">",
          )) as [string, Entry[]][] | null;
          entries = reply?.[0]?.[1] ?? [];
          ownPending = pendingFrom !== undefined;
          if (pendingFrom !== undefined) {
            if (entries.length === 0) pendingFrom = undefined;
            else pendingFrom = entries[entries.length - 1]![0];
          }
        }
        failures = 0;
        if (Date.now() >= nextReap) {
          nextReap = Date.now() + REAP_EVERY_MS;
          await reapExpiredGroups(reader, key, group);
        }
        for (const [id, fields] of entries) {
          const acknowledge = () => void this.#acknowledge(key, group, id);
          const { events, skipped, unknownVersion } = linesOfFrame(
            fields ? fieldValue(fields, "events") : undefined,
          );
          if (unknownVersion !== undefined) {
            this.#stats.skipped += skipped;
            this.#warn(unknownVersionWarning(unknownVersion, `entry ${id} of "${key}"`, skipped));
          } else if (skipped > 0) this.#skip(key, id, skipped);
          if (events.length === 0) acknowledge();
          for (let position = 0; position < events.length; position++) {
            const wire = events[position]!;
            let rebuilt = tracker.complete(topic, wire, () =>
              newestFirst(events.slice(0, position), this.#earlierFrames(reader, key, id)),
            );
            if (typeof rebuilt !== "boolean") rebuilt = await rebuilt;
            if (!rebuilt) this.#incomplete(key, id);
            if (startAt && startAt.entry === id && wire.index < startAt.index) continue;
            // The entry is acknowledged once its last event has been handled.
            const last = wire.index === events[events.length - 1]!.index;
            if (!claimed && ownPending) {
              // Read again (a restart, a reconnection): skip what was handled, or handed over and not yet handled.
              if (progress.handled(id, wire.index)) {
                if (last) acknowledge();
                continue;
              }
              if (delivered && compareEntryIds(id, delivered.entry) <= 0) {
                if (id !== delivered.entry || wire.index <= delivered.index) continue;
              }
            }
            delivered = { entry: id, index: wire.index };
            const index = wire.index;
            const handled = () => {
              progress.record(id, index, last);
              if (last) acknowledge();
            };
            // A promise only when the handler's buffer is full (the lossless policy waits): none per event.
            const accepted = deliver(wire.event, handled, `${id}/${wire.index}`);
            if (accepted) await accepted;
          }
          startAt = undefined;
        }
      } catch (error) {
        if (stopped()) break;
        pendingFrom = "0"; // after a lost connection, our own pending entries first (skipped up to where we got)
        if (/NOGROUP/.test((error as Error).message)) groupReady = false;
        failures++;
        if (failures === 1)
          this.#warn({
            code: "server_unavailable",
            message: `reading "${key}" for "${group}" failed (${(error as Error).message}); retrying`,
          });
        await new Promise((resolve) => setTimeout(resolve, retryStrategy(failures)));
      }
    }
    await progress.flush();
    this.#progress.delete(progress);
  }

  /** The hash that keeps each consumer's position inside the entries it reads (see `FrameProgress`). */
  get #progressKey(): string {
    return `${this.#options.keyPrefix}@progress`;
  }

  #progressOf(field: string): FrameProgress {
    const progress = new FrameProgress(compareEntryIds, async (position) => {
      this.#commands ??= this.#client("reader");
      await (await this.#commands).call("HSET", this.#progressKey, field, position);
    });
    this.#progress.add(progress);
    return progress;
  }

  /** The frames of the topic before entry `id`, newest first (to rebuild a message's text). */
  async *#earlierFrames(reader: RedisClient, key: string, id: string): AsyncIterable<string | undefined> {
    let end = `(${id}`;
    for (let scanned = 0; scanned < 4096; scanned += 64) {
      const entries = (await reader.call("XREVRANGE", key, end, "-", "COUNT", "64")) as Entry[];
      if (entries.length === 0) return;
      for (const [entryId, fields] of entries) {
        end = `(${entryId}`;
        yield fields ? fieldValue(fields, "events") : undefined;
      }
    }
  }

  #incomplete(key: string, id: string): void {
    this.#warn({
      code: "incomplete_text",
      message: `entry ${id} of "${key}": the text before this event was trimmed away; completion holds the delta only`,
    });
  }

  /** Destroys the handler's consumer group (and what it had not acknowledged). */
  async deleteSubscription(topic: string, name: string): Promise<boolean> {
    this.#commands ??= this.#client("reader");
    return destroyGroup(await this.#commands, this.#key(topic), name);
  }

  /**
   * Acknowledges entry `id` soon: the entries of a group acknowledged while an XACK is in flight go together in the
   * next one (one command per round trip, not per entry).
   */
  #acknowledge(key: string, group: string, id: string): Promise<void> {
    const name = `${key}\u0000${group}`;
    let batch = this.#acks.get(name);
    if (batch === undefined) {
      batch = { key, group, ids: [], sending: undefined };
      this.#acks.set(name, batch);
    }
    batch.ids.push(id);
    batch.sending ??= this.#sendAcks(batch);
    return batch.sending;
  }

  async #sendAcks(batch: AckBatch): Promise<void> {
    this.#commands ??= this.#client("reader");
    const commands = await this.#commands;
    while (batch.ids.length > 0) {
      const ids = batch.ids;
      batch.ids = [];
      // not acknowledged: delivered again (skipped up to the saved position, see FrameProgress); deduplicate
      await commands.call("XACK", batch.key, batch.group, ...ids).catch(() => {});
    }
    batch.sending = undefined;
  }

  #skip(key: string, id: string, count: number): void {
    this.#stats.skipped += count;
    this.#warn({
      code: "skipped_message",
      message: `skipped ${count} message(s) in entry ${id} of "${key}": not geppetto events`,
    });
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
    await Promise.all([...this.#progress].map((progress) => progress.flush()));
    await Promise.all([...this.#acks.values()].map((batch) => batch.sending));
    const commands = await this.#commands;
    this.#clients.delete(commands as RedisClient);
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
    if (commands) await commands.quit().catch(() => commands.disconnect()); // after the pending acknowledgements
  }
}

/** Orders two stream entry ids (`<milliseconds>-<sequence>`): negative when `first` is older. */
function compareEntryIds(first: string, second: string): number {
  const firstDash = first.indexOf("-");
  const secondDash = second.indexOf("-");
  const milliseconds = Number(first.slice(0, firstDash)) - Number(second.slice(0, secondDash));
  if (milliseconds !== 0) return milliseconds;
  return Number(first.slice(firstDash + 1)) - Number(second.slice(secondDash + 1));
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let index = 0; index + 1 < fields.length; index += 2)
    if (fields[index] === name) return fields[index + 1];
  return undefined;
}
