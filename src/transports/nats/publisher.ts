/**
 * The NATS transport's writes: the frames of one batch as core NATS publishes onto the stream's subjects, each
 * with a `Nats-Msg-Id`, the last with a reply subject on this publisher's inbox, where JetStream sends its
 * acknowledgement. The server stores one connection's messages in order, so the last frame's acknowledgement
 * covers the frames before it; on a failure the whole batch is sent again and the message ids let the server drop
 * the frames it already has.
 *
 * This is what `JetStreamClient.publish` does, without its per-call cost: it makes a request per publish (a
 * request object, a subscription entry, a timer and two stack-capturing errors made in advance), about as much
 * CPU as encoding every event of the frame. Here one subscription receives every acknowledgement and one timer,
 * re-armed per batch, bounds the wait.
 */
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Frame } from "../shared.ts";

interface PendingAck {
  readonly subject: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Publishes batches of frames to JetStream, one batch at a time, each resolved by the stream's acknowledgement
 * of its last frame.
 *
 * @example
 * const publisher = new AckedPublisher(connection, headers, createInbox(), 2000, (topic) => `geppetto.events.${topic}`);
 * await publisher.publish(frames);
 */
export class AckedPublisher {
  readonly #connection: NatsConnection;
  readonly #headers: () => MsgHdrs;
  readonly #inbox: string;
  readonly #subscription: Subscription;
  readonly #timer: ReturnType<typeof setTimeout>;
  #pending: PendingAck | undefined;
  #batches = 0;

  constructor(
    connection: NatsConnection,
    headers: () => MsgHdrs,
    inbox: string,
    /** How long a batch waits for its acknowledgement before it fails (and is retried). */
    readonly timeoutMs: number,
    /** The subject of a topic's frames. */
    readonly subjectOf: (topic: string) => string,
  ) {
    this.#connection = connection;
    this.#headers = headers;
    this.#inbox = inbox;
    this.#subscription = connection.subscribe(`${inbox}.*`, {
      callback: (error, message) => this.#acknowledged(error, message),
    });
    this.#timer = setTimeout(() => this.#timedOut(), timeoutMs);
    this.#timer.unref();
  }

  /** Publishes the frames; resolves once the stream has acknowledged the last (rejects when it did not). */
  publish(frames: readonly Frame[]): Promise<void> {
    if (frames.length === 0) return Promise.resolve();
    if (this.#pending !== undefined) return Promise.reject(new Error("a batch is already being published"));
    const replySubject = `${this.#inbox}.${++this.#batches}`;
    for (let index = 0; index < frames.length; index++) {
      const frame = frames[index]!;
      // Its message id lets the server drop a frame it already has (a batch sent again after a failure).
      const headers = this.#headers();
      headers.set("Nats-Msg-Id", frame.messageId);
      this.#connection.publish(
        this.subjectOf(frame.topic),
        frame.payload,
        index === frames.length - 1 ? { headers, reply: replySubject } : { headers },
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#pending = { subject: replySubject, resolve, reject };
    this.#timer.refresh();
    return promise;
  }

  /** Stops receiving acknowledgements; a batch still waiting fails. */
  close(): void {
    clearTimeout(this.#timer);
    this.#subscription.unsubscribe();
    this.#settle(new Error("NATS publisher closed before the acknowledgement"));
  }

  #acknowledged(error: Error | null, message: Msg): void {
    // An acknowledgement of an earlier batch (it timed out and was sent again) is ignored: the retry's covers it.
    if (this.#pending === undefined || (error === null && message.subject !== this.#pending.subject)) return;
    this.#settle(error ?? refusalOf(message));
  }

  #timedOut(): void {
    // The timer is re-armed per batch, so it fires with a batch pending only when that batch waited `timeoutMs`.
    this.#settle(new Error(`no acknowledgement from JetStream within ${this.timeoutMs} ms`));
  }

  #settle(error: Error | undefined): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }
}

/** Why JetStream did not store the message it answered, or `undefined` when it did. */
function refusalOf(message: Msg): Error | undefined {
  const headers = message.headers;
  if (headers?.hasError)
    return new Error(
      headers.code === 503
        ? "no JetStream stream answered (no responders)"
        : `JetStream answered ${headers.status}`,
    );
  const text = message.string();
  // An acknowledgement is `{"stream":…,"seq":…}`; a refusal `{"error":{"code":…,"description":…}}`.
  if (!text.includes('"error"') && text.includes('"seq"')) return undefined;
  let description = text;
  try {
    const reply = JSON.parse(text) as { error?: { description?: string } };
    description = reply.error?.description ?? text;
  } catch {
    // not JSON: reported as it is
  }
  return new Error(`JetStream refused the message: ${description}`);
}
