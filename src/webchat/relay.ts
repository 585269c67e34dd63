/**
 * Carries a web chat's frames and Stop requests between instances over an event transport (Redis Streams or NATS
 * JetStream, see `geppetto/transports/*`), so that a browser connected to one instance follows an answer running
 * on another, and Stop pressed on one stops the inference on the other.
 *
 * Frames travel as custom events (`geppetto.webchat.frame`, `geppetto.webchat.cancel`) on two topics; every
 * instance subscribes under its own handler names (`webchat-frames-<instance>`, `webchat-control-<instance>`)
 * from "now". A frame delivered twice is harmless: it carries its
 * seq, and instances and browsers ignore one they already have.
 *
 * Approve/Deny pressed on one instance for a call waiting on another travels as a request
 * (`geppetto.webchat.approve`) on the control topic; the instance running the conversation's answer decides it
 * (the first decision wins) and answers (`geppetto.webchat.approved`, addressed to the asking instance) whether it
 * was taken.
 *
 * Those subscriptions serve one instance's lifetime: `close()` deletes them from the server (Redis consumer
 * groups, JetStream consumers), and they expire (`expireAfterMs`) once their instance stopped reading, so an
 * instance that crashed leaves nothing behind for long.
 */
import { defineCustomEvent } from "../events/codec.ts";
import type { EventTransport } from "../events/transport.ts";
import type { JsonValue } from "../turns/json.ts";
import { randomUUID } from "../turns/lazy-require.ts";
import type { Frame } from "./frames.ts";

const FRAMES_TOPIC = "geppetto.webchat.frames";
const CONTROL_TOPIC = "geppetto.webchat.control";

interface FramePayload {
  origin: string;
  frame: Frame;
}

interface CancelPayload {
  origin: string;
  convId: string;
}

interface ApprovePayload {
  origin: string;
  requestId: string;
  convId: string;
  callId: string;
  approved: boolean;
}

interface ApprovedPayload {
  origin: string;
  /** The instance that asked. */
  to: string;
  requestId: string;
  /** Whether the decision was taken (false: the call waits no more). */
  decided: boolean;
}

const frameEvent = defineCustomEvent<FramePayload>("geppetto.webchat.frame");
const cancelEvent = defineCustomEvent<CancelPayload>("geppetto.webchat.cancel");
const approveEvent = defineCustomEvent<ApprovePayload>("geppetto.webchat.approve");
const approvedEvent = defineCustomEvent<ApprovedPayload>("geppetto.webchat.approved");

/** How long {@link WebChatRelay.requestApproval} waits for the instance running the answer (default). */
const APPROVAL_TIMEOUT_MS = 5_000;

/** What a relay hands to its server. */
export interface RelayHandlers {
  /** A frame another instance applied. */
  frame(frame: Frame): void;
  /** Another instance was asked to stop the answer of a conversation. */
  cancel(convId: string): void;
  /**
   * Another instance was asked to decide a call waiting for approval: true when it was waiting here and is
   * decided now, false when the conversation's answer runs here but the call waits no more (decided, cancelled
   * or unknown), undefined when the answer does not run here (another instance answers).
   */
  approve?(convId: string, callId: string, approved: boolean): Promise<boolean | undefined>;
}

/**
 * The link between web chat instances.
 *
 * @example
 * const transport = new RedisStreamsTransport({ url: "redis://127.0.0.1:6379" });
 * await transport.connect();
 * const server = await startWebChatServer({ engine, timeline, relay: new WebChatRelay(transport) });
 */
export class WebChatRelay {
  /** This instance's id (its lease owner and the handler name of its subscriptions). */
  readonly instanceId: string;
  readonly #transport: EventTransport;
  readonly #expireAfterMs: number;
  #unsubscribe: (() => void | Promise<void>)[] = [];
  #subscriptions: [topic: string, name: string][] = [];
  /** Approval requests this instance sent, by request id, waiting for their answer. */
  readonly #asked = new Map<string, (decided: boolean) => void>();

  /**
   * `expireAfterMs` (default 60 s): how long the server keeps this instance's subscriptions once it stopped
   * reading them (crashed); `close()` removes them at once.
   */
  constructor(transport: EventTransport, options: { instanceId?: string; expireAfterMs?: number } = {}) {
    this.#transport = transport;
    this.instanceId = options.instanceId ?? randomUUID();
    this.#expireAfterMs = options.expireAfterMs ?? 60_000;
  }

  /** Subscribes to the other instances' frames and Stop requests. */
  start(handlers: RelayHandlers): void {
    // One handler name per topic (a JetStream durable consumer follows one subject).
    const subscription = (kind: string) => {
      const name = `webchat-${kind}-${this.instanceId}`;
      this.#subscriptions.push([kind === "frames" ? FRAMES_TOPIC : CONTROL_TOPIC, name]);
      return { name, from: "now" as const, expireAfterMs: this.#expireAfterMs };
    };
    this.#unsubscribe.push(
      this.#transport.subscribe(
        FRAMES_TOPIC,
        (event, acknowledge) => {
          if (frameEvent.is(event) && event.payload.origin !== this.instanceId)
            handlers.frame(event.payload.frame);
          acknowledge?.();
        },
        subscription("frames"),
      ),
      this.#transport.subscribe(
        CONTROL_TOPIC,
        (event, acknowledge) => {
          if (cancelEvent.is(event) && event.payload.origin !== this.instanceId)
            handlers.cancel(event.payload.convId);
          else if (approveEvent.is(event) && event.payload.origin !== this.instanceId)
            void this.#onApprove(event.payload, handlers).catch(() => {});
          else if (approvedEvent.is(event) && event.payload.to === this.instanceId)
            this.#asked.get(event.payload.requestId)?.(event.payload.decided);
          acknowledge?.();
        },
        subscription("control"),
      ),
    );
  }

  /** Sends a frame this instance applied to the other instances. */
  publishFrame(frame: Frame): void {
    const payload = { origin: this.instanceId, frame };
    void this.#transport.publish(
      FRAMES_TOPIC,
      frameEvent.create(payload, { id: `${frame.convId}#${frame.seq}` }),
    );
  }

  /** Asks the instance running the conversation's answer to stop it. */
  publishCancel(convId: string): void {
    const payload = { origin: this.instanceId, convId } satisfies Record<string, JsonValue>;
    void this.#transport.publish(CONTROL_TOPIC, cancelEvent.create(payload, { id: randomUUID() }));
  }

  async #onApprove(request: ApprovePayload, handlers: RelayHandlers): Promise<void> {
    const decided = await handlers.approve?.(request.convId, request.callId, request.approved);
    if (decided === undefined) return;
    const payload = { origin: this.instanceId, to: request.origin, requestId: request.requestId, decided };
    void this.#transport.publish(CONTROL_TOPIC, approvedEvent.create(payload, { id: randomUUID() }));
  }

  /**
   * Asks the instance running the conversation's answer to approve or deny a call waiting there. Resolves true
   * when the decision was taken, false when the call waits no more or no instance answered within `timeoutMs`
   * (default 5 s: the instance died).
   */
  requestApproval(
    convId: string,
    callId: string,
    approved: boolean,
    timeoutMs = APPROVAL_TIMEOUT_MS,
  ): Promise<boolean> {
    const requestId = randomUUID();
    const payload = { origin: this.instanceId, requestId, convId, callId, approved };
    return new Promise((resolve) => {
      const settle = (decided: boolean) => {
        clearTimeout(timer);
        this.#asked.delete(requestId);
        resolve(decided);
      };
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.#asked.set(requestId, settle);
      Promise.resolve(
        this.#transport.publish(CONTROL_TOPIC, approveEvent.create(payload, { id: requestId })),
      ).catch(() => settle(false));
    });
  }

  /** Unsubscribes and deletes this instance's subscriptions from the server (the transport stays open). */
  async close(): Promise<void> {
    const stops = this.#unsubscribe;
    const subscriptions = this.#subscriptions;
    this.#unsubscribe = [];
    this.#subscriptions = [];
    for (const settle of [...this.#asked.values()]) settle(false);
    await Promise.all(stops.map((stop) => stop()));
    await Promise.all(
      subscriptions.map(([topic, name]) =>
        this.#transport.deleteSubscription?.(topic, name).catch(() => false),
      ),
    );
  }
}
