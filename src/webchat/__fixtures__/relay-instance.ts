/**
 * One web chat instance's relay in a process of its own, for tests that kill it (SIGKILL) to leave its
 * subscriptions behind. Run with: node --experimental-transform-types relay-instance.ts redis|nats URL ID EXPIRE_MS
 */
import type { EventTransport } from "../../events/transport.ts";
import { NatsJetStreamTransport } from "../../transports/nats/index.ts";
import { RedisStreamsTransport } from "../../transports/redis/index.ts";
import { WebChatRelay } from "../relay.ts";

const [kind, url, instanceId, expireAfterMs] = process.argv.slice(2);
const transport: EventTransport & { connect(): Promise<void> } =
  kind === "nats" ? new NatsJetStreamTransport({ servers: url! }) : new RedisStreamsTransport({ url: url! });
await transport.connect();
new WebChatRelay(transport, { instanceId: instanceId!, expireAfterMs: Number(expireAfterMs) }).start({
  frame: () => {},
  cancel: () => {},
});
process.stdout.write("started\n");
setInterval(() => {}, 60_000); // until killed
