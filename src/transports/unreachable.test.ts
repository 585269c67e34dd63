import { describe, expect, it } from "vitest";
import { NatsJetStreamTransport } from "./nats/transport.ts";
import { RedisStreamsTransport } from "./redis/transport.ts";
import { TransportConnectionError, type TransportWarning } from "./shared.ts";
import { freePort } from "./test-servers.ts";

describe("a server that cannot be reached at start", () => {
  it("Redis: connect() fails with an error naming the URL, password redacted", async () => {
    const port = await freePort();
    const transport = new RedisStreamsTransport({
      url: `redis://app:hunter2-secret@127.0.0.1:${port}/0`,
      connectTimeoutMs: 300,
      onWarning: () => {},
    });
    const error = await transport.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportConnectionError);
    expect((error as Error).message).toContain(`redis://app:***@127.0.0.1:${port}/0`);
    expect(
      JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack }),
    ).not.toContain("hunter2");
    await transport.close();
  });

  it("NATS: connect() fails with an error naming the server, token redacted", async () => {
    const port = await freePort();
    const transport = new NatsJetStreamTransport({
      servers: `nats://hunter2-token@127.0.0.1:${port}`,
      connectTimeoutMs: 300,
      onWarning: () => {},
    });
    const error = await transport.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportConnectionError);
    expect((error as Error).message).toContain(`nats://***@127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain("hunter2");
    await transport.close();
  });

  it("publishing while the server is away buffers, warns without the password, and never throws", async () => {
    const port = await freePort();
    const warnings: TransportWarning[] = [];
    const { promise: warned, resolve } = Promise.withResolvers<void>();
    const transport = new RedisStreamsTransport({
      url: `redis://app:hunter2-secret@127.0.0.1:${port}`,
      connectTimeoutMs: 200,
      maxBuffered: 2,
      onWarning: (warning) => {
        warnings.push(warning);
        if (warning.code === "server_unavailable") resolve();
      },
    });
    for (let seq = 1; seq <= 3; seq++)
      transport.publish("chat", { type: "final", text: "x", meta: { id: "m", seq } });
    await warned;
    // The oldest frame goes (here the two events written together); the bound holds and every event is counted.
    const stats = transport.stats();
    expect(stats).toMatchObject({ published: 0 });
    expect(stats.buffered).toBeLessThanOrEqual(2);
    expect(stats.buffered + stats.droppedWhileAway).toBe(3);
    expect(warnings.map((warning) => warning.code)).toContain("publish_buffer_full");
    expect(JSON.stringify(warnings)).not.toContain("hunter2");
    expect(JSON.stringify(warnings)).toContain(`redis://app:***@127.0.0.1:${port}`);
    await transport.close();
    expect(warnings.at(-1)).toMatchObject({ code: "unsent_at_close" });
  });
});
