/** The relay between web chat instances, over real Redis and NATS servers started here. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventTransport } from "../events/transport.ts";
import { NatsJetStreamTransport } from "../transports/nats/index.ts";
import { RedisStreamsTransport } from "../transports/redis/index.ts";
import { startNatsServer, startRedisServer, type TestServer } from "../transports/test-servers.ts";
import type { Frame } from "./frames.ts";
import { WebChatRelay } from "./relay.ts";

let redis: TestServer;
let nats: TestServer;
beforeAll(async () => {
  [redis, nats] = await Promise.all([startRedisServer(), startNatsServer()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([redis?.dispose(), nats?.dispose()]);
});

const open: Record<string, () => Promise<EventTransport>> = {
  redis: async () => {
    const transport = new RedisStreamsTransport({ url: redis.url });
    await transport.connect();
    return transport;
  },
  nats: async () => {
    const transport = new NatsJetStreamTransport({ servers: nats.url });
    await transport.connect();
    return transport;
  },
};

/** Resolves once `condition` holds, calling `nudge` (a publish the subscriber may not have seen yet) meanwhile. */
async function until(condition: () => boolean, nudge: () => void): Promise<void> {
  while (!condition()) {
    nudge();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(["redis", "nats"])("WebChatRelay over %s", (kind) => {
  it("hands one instance's frames and Stop requests to the other, in order, never back to the sender", async () => {
    const [one, two] = [await open[kind]!(), await open[kind]!()];
    const a = new WebChatRelay(one, { instanceId: "a" });
    const b = new WebChatRelay(two, { instanceId: "b" });
    const seenByA: Frame[] = [];
    const seenByB: Frame[] = [];
    const cancelsOnA: string[] = [];
    a.start({ frame: (frame) => seenByA.push(frame), cancel: (convId) => cancelsOnA.push(convId) });
    b.start({ frame: (frame) => seenByB.push(frame), cancel: () => {} });
    const frame = (seq: number): Frame => ({
      type: "llm.delta",
      id: "msg:1",
      kind: "assistant",
      append: `${seq} `,
      seq,
      convId: "c1",
    });
    // Subscriptions start from "now": probe until B follows, then stream.
    await until(
      () => seenByB.length > 0,
      () => a.publishFrame(frame(0)),
    );
    const probes = seenByB.length;
    for (let seq = 1; seq <= 50; seq++) a.publishFrame(frame(seq));
    await until(
      () => seenByB.some((seen) => seen.seq === 50),
      () => {},
    );
    const streamed = seenByB.slice(probes).filter((seen) => seen.seq > 0);
    expect(streamed.map((seen) => seen.seq)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    expect(streamed[0]).toEqual(frame(1));
    await until(
      () => cancelsOnA.length > 0,
      () => b.publishCancel("c1"),
    );
    expect(new Set(cancelsOnA)).toEqual(new Set(["c1"]));
    expect(seenByA).toEqual([]);
    await Promise.all([a.close(), b.close()]);
    await Promise.all([one.close(), two.close()]);
  });
});
