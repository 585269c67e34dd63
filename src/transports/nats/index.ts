/**
 * `geppetto/transports/nats`: the event router over NATS JetStream (official `@nats-io/*` clients, loaded only
 * here).
 *
 * One stream holds every topic (`<subjectPrefix>.<topic>` subjects); each handler is a durable pull consumer named
 * after the handler; events are the versioned JSON codec.
 *
 * @example
 * import { EventRouter } from "geppetto";
 * import { NatsJetStreamTransport } from "geppetto/transports/nats";
 * const transport = new NatsJetStreamTransport({ servers: "nats://127.0.0.1:4222" });
 * await transport.connect(); // a clear error naming the server if it cannot be reached
 * const router = new EventRouter({ transport });
 */

export {
  redactUrl,
  TransportConnectionError,
  type TransportStats,
  type TransportWarning,
} from "../shared.ts";
export * from "./transport.ts";
