// Opens the transport the three processes share: Redis Streams or NATS JetStream, chosen by the server URL.
import { NatsJetStreamTransport } from "geppetto/transports/nats";
import { RedisStreamsTransport } from "geppetto/transports/redis";

/** `redis://…` opens Redis Streams, `nats://…` NATS JetStream. */
export function openTransport(serverUrl: string): RedisStreamsTransport | NatsJetStreamTransport {
  if (serverUrl.startsWith("redis://") || serverUrl.startsWith("rediss://"))
    return new RedisStreamsTransport({ url: serverUrl, maxLength: 100_000 });
  if (serverUrl.startsWith("nats://"))
    return new NatsJetStreamTransport({ servers: serverUrl, maxLength: 100_000 });
  throw new Error(`expected a redis:// or nats:// URL, got "${serverUrl}"`);
}

/** The topic the inference publishes to. */
export const TOPIC = "chat";

/** True for the event that ends an answer. */
export function endsAnswer(type: string): boolean {
  return type === "final" || type === "interrupt" || type === "error";
}
