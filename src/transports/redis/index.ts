/**
 * `geppetto/transports/redis`: the event router over Redis Streams (client: ioredis, loaded only here).
 *
 * One stream per topic (`<keyPrefix><topic>`), one consumer group per handler name; events are the versioned
 * JSON codec in the entry's `event` field.
 *
 * @example
 * import { EventRouter } from "geppetto";
 * import { RedisStreamsTransport } from "geppetto/transports/redis";
 * const transport = new RedisStreamsTransport({ url: "redis://127.0.0.1:6379" });
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
