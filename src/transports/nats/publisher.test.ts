import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransportWarning } from "../shared.ts";
import { startNatsServer, type TestServer } from "../test-servers.ts";
import { NatsJetStreamTransport } from "./transport.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.dispose();
});

function event(seq: number) {
  return { type: "final" as const, text: `answer ${seq}`, meta: { id: "m", seq } };
}

describe("the NATS publisher's acknowledgements", () => {
  it("a batch JetStream does not store (its stream is gone) is reported, kept and written once the stream is back", async () => {
    const warnings: TransportWarning[] = [];
    const { promise: refused, resolve } = Promise.withResolvers<void>();
    const transport = new NatsJetStreamTransport({
      servers: server.url,
      stream: "ACKS",
      subjectPrefix: "acks",
      onWarning: (warning) => {
        warnings.push(warning);
        if (warning.code === "server_unavailable") resolve();
      },
    });
    await transport.connect();
    transport.publish("chat", event(1));
    while (transport.stats().published < 1) await new Promise((resolve) => setImmediate(resolve));

    const admin = await connect({ servers: server.url });
    const manager = await jetstreamManager(admin);
    const config = (await manager.streams.info("ACKS")).config;
    await manager.streams.delete("ACKS");
    transport.publish("chat", event(2));
    await refused;
    expect(warnings.at(-1)?.message).toContain("no JetStream stream answered");
    expect(transport.stats()).toMatchObject({ published: 1, buffered: 1 });

    await manager.streams.add(config);
    while (transport.stats().published < 2) await new Promise((resolve) => setImmediate(resolve));
    const stored = await manager.streams.getMessage("ACKS", { last_by_subj: "acks.chat" });
    expect(stored?.string()).toContain('"answer 2"');
    await transport.close();
    await admin.close();
  });
});
