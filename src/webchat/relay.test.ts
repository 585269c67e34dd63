/** The relay between web chat instances, over real Redis and NATS servers started here. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
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

const INSTANCE = fileURLToPath(new URL("./__fixtures__/relay-instance.ts", import.meta.url));
const TOPICS = ["geppetto.webchat.frames", "geppetto.webchat.control"];

/** The subscriptions the server keeps for the web chat topics (Redis consumer groups, JetStream consumers). */
const subscriptionsOn: Record<string, () => Promise<string[]>> = {
  async redis() {
    const { Redis } = await import("ioredis");
    const client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    const names: string[] = [];
    for (const topic of TOPICS) {
      const groups = (await client
        .call("XINFO", "GROUPS", `geppetto:events:${topic}`)
        .catch(() => [])) as string[][];
      for (const group of groups) names.push(group[group.indexOf("name") + 1]!);
    }
    client.disconnect();
    return names.sort();
  },
  async nats() {
    const { connect } = await import("@nats-io/transport-node");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const connection = await connect({ servers: nats.url });
    const manager = await jetstreamManager(connection);
    const consumers = await manager.consumers
      .list("GEPPETTO_EVENTS")
      .next()
      .catch(() => []);
    await connection.close();
    return consumers.map((consumer) => consumer.name).sort();
  },
};

/** Resolves once `check` resolves true, trying again every 100 ms. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
}

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

  it("carries an approval decision to the instance running the answer and its reply back", async () => {
    const [one, two] = [await open[kind]!(), await open[kind]!()];
    const a = new WebChatRelay(one, { instanceId: "a" });
    const b = new WebChatRelay(two, { instanceId: "b" });
    const waiting = new Set(["call_1"]);
    const decided: string[] = [];
    a.start({
      frame: () => {},
      cancel: () => {},
      async approve(convId, callId, approved) {
        if (convId !== "c1") return undefined; // not running here
        if (!waiting.delete(callId)) return false;
        decided.push(`${callId}:${approved}`);
        return true;
      },
    });
    b.start({ frame: () => {}, cancel: () => {} });
    // Subscriptions start from "now": ask until A follows (an unknown call is refused, not decided).
    let first = false;
    while (!first) first = await b.requestApproval("c1", "call_1", false, 200);
    expect(decided).toEqual(["call_1:false"]);
    expect(await b.requestApproval("c1", "call_1", true)).toBe(false); // decided already
    expect(await b.requestApproval("c1", "call_unknown", true)).toBe(false);
    // Nobody runs c2: no answer comes, and the request gives up.
    expect(await b.requestApproval("c2", "call_1", true, 300)).toBe(false);
    await Promise.all([a.close(), b.close()]);
    await Promise.all([one.close(), two.close()]);
  });

  it("close() deletes the instance's subscriptions; a killed instance's expire while the others' stay", async () => {
    const crashed = `crashed${crypto.randomUUID().slice(0, 8)}`;
    const child = spawn(
      process.execPath,
      [
        "--experimental-transform-types",
        "--no-warnings",
        INSTANCE,
        kind,
        kind === "redis" ? redis.url : nats.url,
        crashed,
        "1500",
      ],
      { stdio: "ignore" },
    );
    const mine = (names: string[], id: string) => names.filter((name) => name.endsWith(`-${id}`));
    await eventually(async () => mine(await subscriptionsOn[kind]!(), crashed).length === 2);
    child.kill("SIGKILL");
    // Two live instances, on streams that stay quiet: neither takes the other for dead.
    const transports = [await open[kind]!(), await open[kind]!()];
    const [live, other] = ["live", "other"].map(
      (instanceId, index) => new WebChatRelay(transports[index]!, { instanceId, expireAfterMs: 1500 }),
    );
    for (const relay of [live!, other!]) relay.start({ frame: () => {}, cancel: () => {} });
    await eventually(async () => mine(await subscriptionsOn[kind]!(), "live").length === 2);
    // Redis: the live instances reap the groups nobody read for 1.5 s; JetStream: the server deletes the consumers.
    await eventually(async () => mine(await subscriptionsOn[kind]!(), crashed).length === 0);
    const left = await subscriptionsOn[kind]!();
    expect(mine(left, "live")).toEqual(["webchat-control-live", "webchat-frames-live"]);
    expect(mine(left, "other")).toEqual(["webchat-control-other", "webchat-frames-other"]);
    await live!.close();
    expect(mine(await subscriptionsOn[kind]!(), "live")).toEqual([]);
    await other!.close();
    await Promise.all(transports.map((transport) => transport.close()));
  }, 60_000);
});
