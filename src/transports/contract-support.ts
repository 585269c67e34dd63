/**
 * Test support (not exported) for the transport contract suite: one harness per transport and a collector that
 * waits for events instead of sleeping.
 */
import { Redis } from "ioredis";
import { EventRouter, type EventRouterOptions } from "../events/router.ts";
import { type EventTransport, InProcessTransport } from "../events/transport.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { NatsJetStreamTransport } from "./nats/transport.ts";
import { RedisStreamsTransport } from "./redis/transport.ts";
import type { TransportWarning } from "./shared.ts";
import { startNatsServer, startRedisServer, type TestServer } from "./test-servers.ts";

/** One transport under the contract. */
export interface Harness {
  readonly name: string;
  readonly durable: boolean;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A new transport (its own connections) inside `namespace`, as another process would open it. */
  open(namespace: string, warnings?: TransportWarning[], options?: { frameSize?: number }): EventTransport;
  /** The server, for restarts (durable transports). */
  server?(): TestServer;
  /** Writes a message that is not a geppetto event onto a topic's stream. */
  injectGarbage?(namespace: string, topic: string, text: string): Promise<void>;
}

const slot = <T>(): { value: T | undefined } => ({ value: undefined });

export function inProcessHarness(): Harness {
  const transports = new Map<string, InProcessTransport>();
  return {
    name: "in-process",
    durable: false,
    async setUp() {},
    async tearDown() {},
    open(namespace) {
      // In one process every router of a namespace shares one transport, as a process shares its routers' bus.
      let transport = transports.get(namespace);
      if (!transport) {
        transport = new InProcessTransport();
        transports.set(namespace, transport);
      }
      const bus = transport;
      // Each router closes its own transport: closing this view leaves the shared bus to the other routers.
      return {
        durable: false,
        publish: (topic, event) => bus.publish(topic, event),
        subscribe: (topic, deliver) => bus.subscribe(topic, deliver),
        close: async () => {},
      };
    },
  };
}

export function redisHarness(): Harness {
  const server = slot<TestServer>();
  return {
    name: "redis",
    durable: true,
    async setUp() {
      server.value = await startRedisServer();
    },
    async tearDown() {
      await server.value?.dispose();
    },
    open(namespace, warnings, options) {
      return new RedisStreamsTransport({
        ...options,
        url: server.value!.url,
        keyPrefix: `${namespace}:`,
        claimIdleMs: 60_000,
        onWarning: (warning) => warnings?.push(warning),
      });
    },
    server: () => server.value!,
    async injectGarbage(namespace, topic, text) {
      const client = new Redis(server.value!.url, { protocol: 2 });
      await client.call("XADD", `${namespace}:${topic}`, "*", "events", text);
      await client.call("XADD", `${namespace}:${topic}`, "*", "other", "field");
      client.disconnect();
    },
  };
}

export function natsHarness(): Harness {
  const server = slot<TestServer>();
  return {
    name: "nats",
    durable: true,
    async setUp() {
      server.value = await startNatsServer();
    },
    async tearDown() {
      await server.value?.dispose();
    },
    open(namespace, warnings, options) {
      return new NatsJetStreamTransport({
        ...options,
        servers: server.value!.url,
        stream: namespace.toUpperCase(),
        subjectPrefix: namespace,
        onWarning: (warning) => warnings?.push(warning),
      });
    },
    server: () => server.value!,
    async injectGarbage(namespace, topic, text) {
      const { connect } = await import("@nats-io/transport-node");
      const { jetstream } = await import("@nats-io/jetstream");
      const connection = await connect({ servers: server.value!.url });
      await jetstream(connection).publish(`${namespace}.${topic}`, text);
      await connection.close();
    },
  };
}

/** Collects what a handler receives and waits for counts. */
export class Collector {
  readonly events: GeppettoEvent[] = [];
  readonly positions: (string | undefined)[] = [];
  /** Probes seen (see `waitUntilSubscribed`); they are not collected. */
  probes = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  readonly handle = (event: GeppettoEvent, delivery: { position?: string } = {}): void => {
    if (event.meta.id === PROBE_ID) {
      this.probes++;
      return;
    }
    this.events.push(event);
    this.positions.push(delivery.position);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.events.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  /** Resolves once `count` events have arrived; rejects after `timeoutMs` saying how many did. */
  until(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.events.length >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`waited for ${count} events, got ${this.events.length}`)),
        timeoutMs,
      );
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** The `seq` of each event received. */
  seqs(): number[] {
    return this.events.map((event) => event.meta.seq);
  }
}

/** A streamed answer's events: `partial` 1..count, with the inference id that makes them unique. */
export function answerEvents(inferenceId: string, count: number, from = 1): GeppettoEvent[] {
  const events: GeppettoEvent[] = [];
  let completion = "";
  for (let seq = 1; seq < from; seq++) completion += `w${seq} `;
  for (let seq = from; seq < from + count; seq++) {
    const delta = `w${seq} `;
    completion += delta;
    events.push({ type: "partial", delta, completion, meta: { id: "message-1", seq, inferenceId } });
  }
  return events;
}

const PROBE_ID = "contract-probe";

/**
 * A `"now"` subscriber sees only what is published after its subscription reached the server: publish probes
 * until every collector has seen one.
 */
export async function waitUntilSubscribed(
  producer: EventRouter,
  topic: string,
  collectors: Collector[],
): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (collectors.every((collector) => collector.probes > 0)) return;
    producer.sink(topic).publish({ type: "status", text: "probe", meta: { id: PROBE_ID, seq: attempt } });
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the subscribers never saw a probe");
}

/** A router over `transport` with quiet reporting. */
export function routerOver(transport: EventTransport, options: EventRouterOptions = {}): EventRouter {
  return new EventRouter({ transport, onDrop: () => {}, ...options });
}
