/**
 * The transport contract of the event router, the in-process transport, and the deduplication helper that
 * at-least-once transports (Redis Streams, NATS JetStream: `geppetto/transports/redis`, `geppetto/transports/nats`)
 * call for.
 */
import type { GeppettoEvent } from "./types.ts";

/**
 * Where a subscriber that has no saved position starts. A durable subscriber (a handler name the server already
 * knows) resumes from its last acknowledged event instead.
 * - `"beginning"`: every event the server still retains (a late web client catching up on an answer);
 * - `"now"`: only events published after the subscription;
 * - `{ offset }`: from a position a handler was given (`delivery.position`: a Redis entry id or a JetStream
 *   stream sequence, and the event's index in it, such as `"1700000000000-0/3"` or `"42/3"`), inclusive.
 */
export type ReplayFrom = "beginning" | "now" | { offset: string };

/** Acknowledges one delivered event (durable transports: the server forgets it for this handler). */
export type Acknowledge = () => void;

/**
 * Called by a transport for each event of a subscription, with the function that acknowledges it and its position
 * on the server (durable transports). It returns a promise when the handler's buffer is full: a transport must not
 * deliver more to this subscription before that promise settles.
 */
export type DeliverEvent = (
  event: GeppettoEvent,
  acknowledge?: Acknowledge,
  position?: string,
) => void | Promise<void>;

/** Who subscribes and where it starts. */
export interface SubscriptionOptions {
  /** The handler's name: its durable identity (Redis consumer group, JetStream durable consumer). */
  name: string;
  /** Where a subscriber with no saved position starts (default `"now"` in-process, `"beginning"` durable). */
  from?: ReplayFrom;
  /**
   * Durable transports: the server forgets this subscription once no process has read it for this long (a
   * subscriber that crashed leaves its Redis consumer group or JetStream consumer behind otherwise). Meant for
   * names used by one process only (a web chat instance's); must be longer than a handler ever takes. JetStream:
   * the consumer's `inactive_threshold`; Redis: every subscriber of the stream reaps such groups as it reads.
   */
  expireAfterMs?: number;
}

/**
 * Carries events between publishers and subscribers: in this process, or through a message server.
 *
 * @example
 * const router = new EventRouter({ transport: new InProcessTransport() });
 */
export interface EventTransport {
  /**
   * True when the transport keeps events on a server and each delivery must be acknowledged. The router then
   * never drops on the subscriber side: a full handler buffer makes the transport wait (the server is the buffer).
   */
  readonly durable?: boolean;
  /** Publishes one event. May return a promise (a full buffer under the `block` policy); never blocks on I/O. */
  publish(topic: string, event: GeppettoEvent): void | Promise<void>;
  /** Subscribes to a topic; returns the function that unsubscribes (and may wait for in-flight reads). */
  subscribe(topic: string, deliver: DeliverEvent, options: SubscriptionOptions): () => void | Promise<void>;
  /**
   * Durable transports: removes what the server keeps for a subscription (its Redis consumer group, its JetStream
   * durable consumer), once it is unsubscribed for good. Resolves false when there was none.
   */
  deleteSubscription?(topic: string, name: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Delivers synchronously to the subscribers of a topic in this process. Every subscriber gets the event even when
 * an earlier one refuses it (a full buffer under the `error` policy); the first refusal is thrown afterwards.
 *
 * @example
 * const router = new EventRouter(); // uses an InProcessTransport
 */
export class InProcessTransport implements EventTransport {
  readonly durable = false;
  readonly #subscribers = new Map<string, Set<DeliverEvent>>();

  publish(topic: string, event: GeppettoEvent): void | Promise<void> {
    const subscribers = this.#subscribers.get(topic);
    if (!subscribers) return;
    let failure: { error: unknown } | undefined;
    const waits: Promise<void>[] = [];
    for (const deliver of subscribers) {
      try {
        const wait = deliver(event);
        if (wait) waits.push(wait);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) {
      for (const wait of waits) wait.catch(() => {});
      throw failure.error;
    }
    if (waits.length === 1) return waits[0];
    if (waits.length > 1) return Promise.all(waits).then(() => {});
  }

  subscribe(topic: string, deliver: DeliverEvent): () => void {
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
 * The identity of one event for deduplication: its stream message id and its sequence number.
 *
 * @example
 * eventKey(event) // "msg-1#17"
 */
export function eventKey(event: GeppettoEvent): string {
  return `${event.meta.inferenceId ?? ""}/${event.meta.id}#${event.meta.seq}`;
}

/**
 * Wraps a handler so that an event seen already (same {@link eventKey}) is skipped: at-least-once transports
 * deliver an event twice after a consumer crashed between handling and acknowledging it. Remembers the last
 * `capacity` keys (default 10,000), so memory stays bounded on a long stream.
 *
 * @example
 * router.addHandler("audit", "chat", deduplicate(async (event) => await log.append(event)));
 */
export function deduplicate(
  handler: (event: GeppettoEvent) => void | Promise<void>,
  options: { capacity?: number } = {},
): (event: GeppettoEvent) => void | Promise<void> {
  const capacity = options.capacity ?? 10_000;
  const seen = new Set<string>();
  return (event) => {
    const key = eventKey(event);
    if (seen.has(key)) return;
    seen.add(key);
    if (seen.size > capacity) seen.delete(seen.values().next().value as string);
    return handler(event);
  };
}
