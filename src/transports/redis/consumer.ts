/**
 * The Redis Streams consumer side (the transport in transport.ts): each handler is a consumer group named after the
 * handler; its consumer (by default also the handler's name) first re-reads what it had received but not
 * acknowledged (its pending entries, in order), then reads new entries; it acknowledges (`XACK`) each entry after
 * the handler has run. Entries left pending by another consumer of the group for `claimIdleMs` are claimed
 * (`XAUTOCLAIM`). A subscription with `expireAfterMs` has its group destroyed by the stream's other subscribers once
 * it has not read for that long (a heartbeat key, see expiring.ts).
 */
import type { Redis as RedisClient } from "ioredis";
import { CallerError } from "../../engine/errors.ts";
import type { DeliverEvent, ReplayFrom, SubscriptionOptions } from "../../events/transport.ts";
import { CompletionTracker, linesOfFrame, newestFirst } from "../compaction-reader.ts";
import {
  FrameProgress,
  parsePosition,
  type TransportStats,
  type TransportWarning,
  unknownVersionWarning,
} from "../shared.ts";
import { destroyGroup, REAP_EVERY_MS, reapExpiredGroups, renewExpiring } from "./expiring.ts";

type Entry = [id: string, fields: string[] | null];
interface AckBatch {
  readonly key: string;
  readonly group: string;
  ids: string[];
  sending: Promise<void> | undefined;
}

/** The delay before reconnection or read retry `attempt`: 50 ms × 2^attempt, at most 2 s. */
export const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 2000);

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

/** What a {@link RedisStreamsConsumer} takes of its transport: options, counters, warnings and connections. */
export interface RedisConsumerContext {
  readonly keyPrefix: string;
  readonly batchSize: number;
  readonly claimIdleMs: number;
  readonly consumerName: string | undefined;
  readonly stats: TransportStats;
  warn(warning: TransportWarning): void;
  /** The stream key of a topic. */
  key(topic: string): string;
  /** A new connection for one read loop. */
  reader(): Promise<RedisClient>;
  /** The connection for acknowledgements, saved positions and group setup (the transport closes it last). */
  commands(): Promise<RedisClient>;
}

/**
 * The subscriptions of a `RedisStreamsTransport`: one read loop per handler, acknowledgements batched per
 * stream and group, the positions inside entries saved for a restart.
 *
 * @example
 * const consumer = new RedisStreamsConsumer(context);
 * const stop = consumer.subscribe("chat", deliver, { name: "audit", from: "beginning" });
 */
export class RedisStreamsConsumer {
  readonly #context: RedisConsumerContext;
  /** The read loops' positions inside entries, saved before the connections close. */
  readonly #progress = new Set<FrameProgress>();
  /** Acknowledgements waiting for the XACK in flight, per stream and group. */
  readonly #acks = new Map<string, AckBatch>();

  constructor(context: RedisConsumerContext) {
    this.#context = context;
  }

  /** Starts the handler's read loop (a bad offset throws here, naming it); the function returned stops it. */
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
    const key = this.#context.key(topic);
    const group = options.name;
    const consumer = this.#context.consumerName ?? options.name;
    const reader = await this.#context.reader();
    setReader(reader);
    if (stopped()) reader.disconnect();
    const count = String(this.#context.batchSize);
    let pendingFrom: string | undefined = "0"; // first our own unacknowledged entries, then new ones
    let groupReady = false;
    let nextBeat = 0;
    let nextReap = 0;
    // Our own pending entries are read first (and skipped up to where we got); others' after they idled.
    let nextClaim = Date.now() + this.#context.claimIdleMs / 2;
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
          nextClaim = Date.now() + this.#context.claimIdleMs / 2;
          const reply = (await reader.call(
            "XAUTOCLAIM",
            key,
            group,
            consumer,
            String(this.#context.claimIdleMs),
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
            this.#context.stats.skipped += skipped;
            this.#context.warn(unknownVersionWarning(unknownVersion, `entry ${id} of "${key}"`, skipped));
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
          this.#context.warn({
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
    return `${this.#context.keyPrefix}@progress`;
  }

  #progressOf(field: string): FrameProgress {
    const progress = new FrameProgress(compareEntryIds, async (position) => {
      await (await this.#context.commands()).call("HSET", this.#progressKey, field, position);
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
    this.#context.warn({
      code: "incomplete_text",
      message: `entry ${id} of "${key}": the text before this event was trimmed away; completion holds the delta only`,
    });
  }

  /** Destroys the handler's consumer group (and what it had not acknowledged). */
  async deleteSubscription(topic: string, name: string): Promise<boolean> {
    return destroyGroup(await this.#context.commands(), this.#context.key(topic), name);
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
    const commands = await this.#context.commands();
    while (batch.ids.length > 0) {
      const ids = batch.ids;
      batch.ids = [];
      // not acknowledged: delivered again (skipped up to the saved position, see FrameProgress); deduplicate
      await commands.call("XACK", batch.key, batch.group, ...ids).catch(() => {});
    }
    batch.sending = undefined;
  }

  #skip(key: string, id: string, count: number): void {
    this.#context.stats.skipped += count;
    this.#context.warn({
      code: "skipped_message",
      message: `skipped ${count} message(s) in entry ${id} of "${key}": not geppetto events`,
    });
  }

  /** Saves the read loops' positions and waits for the acknowledgements in flight (before the connections close). */
  async flush(): Promise<void> {
    await Promise.all([...this.#progress].map((progress) => progress.flush()));
    await Promise.all([...this.#acks.values()].map((batch) => batch.sending));
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

/** The value of field `name` in an entry's `[field, value, …]` list. */
function fieldValue(fields: string[], name: string): string | undefined {
  for (let index = 0; index + 1 < fields.length; index += 2)
    if (fields[index] === name) return fields[index + 1];
  return undefined;
}
