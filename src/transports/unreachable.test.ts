import { describe, expect, it } from "vitest";
import { NatsJetStreamTransport } from "./nats/transport.ts";
import { RedisStreamsTransport } from "./redis/transport.ts";
import { TransportConnectionError } from "./shared.ts";
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
});
