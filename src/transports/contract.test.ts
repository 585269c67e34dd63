/**
 * One contract, every transport: the same scenarios run over in-process, Redis Streams (a real redis-server) and
 * NATS JetStream (a real nats-server -js), each server started by this file on a free 127.0.0.1 port.
 *
 * Scenarios that need a server (acknowledgement, crash and resume, replay from an offset, restart, messages that
 * are not events) are defined for the durable transports only: in-process events live in the publishing
 * process, so there is nothing to resume, replay or restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineCustomEvent, encodeEvent } from "../events/codec.ts";
import type { GeppettoEvent } from "../events/types.ts";
import {
  answerEvents,
  Collector,
  type Harness,
  inProcessHarness,
  natsHarness,
  redisHarness,
  routerOver,
  waitUntilSubscribed,
} from "./contract-support.ts";
import type { TransportWarning } from "./shared.ts";

const Progress = defineCustomEvent("contract.progress", z.object({ done: z.number(), label: z.string() }));
let namespaces = 0;
const namespace = () => `contract${++namespaces}${Math.random().toString(36).slice(2, 6)}`;

describe.each([inProcessHarness(), redisHarness(), natsHarness()])(
  "transport contract: $name",
  (harness: Harness) => {
    beforeAll(() => harness.setUp(), 30_000);
    afterAll(() => harness.tearDown());

    it("delivers every event of a topic in order, equal to what was published", async () => {
      const space = namespace();
      const consumer = routerOver(harness.open(space));
      const seen = new Collector();
      consumer.addHandler("printer", "chat", seen.handle, { from: "beginning" });
      consumer.run();
      const producer = routerOver(harness.open(space));
      const sink = producer.sink("chat");
      const events = answerEvents(space, 200);
      for (const event of events) sink.publish(event);
      await seen.until(200);
      expect(seen.events).toEqual(events);
      await producer.close();
      await consumer.close();
    });

    it("carries custom events and unknown event types as the codec decodes them", async () => {
      const space = namespace();
      const consumer = routerOver(harness.open(space));
      const seen = new Collector();
      consumer.addHandler("collector", "app", seen.handle, { from: "beginning" });
      consumer.run();
      const producer = routerOver(harness.open(space));
      const custom = Progress.create({ done: 0.5, label: "halfway é" }, { id: "c1", seq: 1 });
      producer.sink("app").publish(custom);
      await seen.until(1);
      expect(seen.events[0]).toEqual(custom);
      expect(Progress.is(seen.events[0]!)).toBe(true);
      await producer.close();
      await consumer.close();
    });

    it("a slow handler never makes the publisher wait, loses nothing, and does not delay another group", async () => {
      const space = namespace();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slowRouter = routerOver(
        harness.open(space),
        harness.durable ? { bufferSize: 8 } : { bufferSize: 4096 },
      );
      const slow = new Collector();
      slowRouter.addHandler("slow", "chat", async (event, delivery) => {
        await gate;
        slow.handle(event, delivery);
      });
      slowRouter.run();
      const fastRouter = routerOver(harness.open(space));
      const fast = new Collector();
      fastRouter.addHandler("fast", "chat", fast.handle);
      fastRouter.run();
      await Promise.all([slowRouter.running, fastRouter.running]);
      const producer = routerOver(harness.open(space));
      await waitUntilSubscribed(producer, "chat", [fast]);
      const sink = producer.sink("chat");
      const events = answerEvents(space, 1000);
      const returned = events.map((event) => sink.publish(event));
      expect(returned.every((value) => value === undefined)).toBe(true);
      await fast.until(1000);
      expect(slow.events).toHaveLength(0);
      release();
      await slow.until(1000);
      expect(slow.seqs()).toEqual(events.map((event) => event.meta.seq));
      expect(fast.seqs()).toEqual(events.map((event) => event.meta.seq));
      await producer.close();
      await slowRouter.close();
      await fastRouter.close();
    });

    if (!harness.durable) return;

    it("acknowledges after the handler: a handler that comes back under its name gets only what is new", async () => {
      const space = namespace();
      const producer = routerOver(harness.open(space));
      const first = new Collector();
      const firstRouter = routerOver(harness.open(space));
      firstRouter.addHandler("audit", "chat", first.handle, { from: "beginning" });
      firstRouter.run();
      for (const event of answerEvents(space, 10)) producer.sink("chat").publish(event);
      await first.until(10);
      await firstRouter.close();
      for (const event of answerEvents(space, 5, 11)) producer.sink("chat").publish(event);
      const second = new Collector();
      const secondRouter = routerOver(harness.open(space));
      secondRouter.addHandler("audit", "chat", second.handle, { from: "beginning" });
      secondRouter.run();
      await second.until(5);
      expect(second.seqs()).toEqual([11, 12, 13, 14, 15]);
      await producer.close();
      await secondRouter.close();
    });

    it("a consumer that dies mid-stream resumes at the event after the last it handled: no repeat, no gap", async () => {
      const space = namespace();
      const producer = routerOver(harness.open(space));
      const events = answerEvents(space, 40);
      const first = new Collector();
      const dying = harness.open(space);
      const dyingRouter = routerOver(dying);
      dyingRouter.addHandler("printer", "chat", (event, delivery) => {
        if (event.meta.seq >= 15) return new Promise<void>(() => {}); // the process "dies" handling event 15
        first.handle(event, delivery);
      });
      dyingRouter.run();
      for (const event of events) producer.sink("chat").publish(event);
      await first.until(14);
      await dying.close(); // its connections go away with events 15.. unacknowledged
      const second = new Collector();
      const resumed = routerOver(harness.open(space));
      resumed.addHandler("printer", "chat", second.handle);
      resumed.run();
      // Events published together travel as one frame, acknowledged once its last event is handled; the handler's
      // position inside the frame was saved as it went, so the resumed one starts at event 15: no repeat, no gap.
      await second.until(26);
      expect([...first.seqs(), ...second.seqs()]).toEqual(events.map((event) => event.meta.seq));
      await producer.close();
      await resumed.close();
    });

    it("with frameSize 1, a resumed consumer gets exactly the events that were not acknowledged", async () => {
      const space = namespace();
      const producer = routerOver(harness.open(space, undefined, { frameSize: 1 }));
      const events = answerEvents(space, 20);
      const first = new Collector();
      const dying = harness.open(space);
      const dyingRouter = routerOver(dying);
      dyingRouter.addHandler("printer", "chat", (event, delivery) => {
        if (event.meta.seq >= 8) return new Promise<void>(() => {});
        first.handle(event, delivery);
      });
      dyingRouter.run();
      for (const event of events) producer.sink("chat").publish(event);
      await first.until(7);
      await dying.close();
      const second = new Collector();
      const resumed = routerOver(harness.open(space));
      resumed.addHandler("printer", "chat", second.handle);
      resumed.run();
      await second.until(13);
      expect([...first.seqs(), ...second.seqs()]).toEqual(events.map((event) => event.meta.seq));
      await producer.close();
      await resumed.close();
    });

    it("replays from the beginning, from an offset, or from now", async () => {
      const space = namespace();
      const producer = routerOver(harness.open(space));
      const events = answerEvents(space, 10);
      const all = new Collector();
      const reader = routerOver(harness.open(space));
      reader.addHandler("all", "chat", all.handle, { from: "beginning" });
      reader.run();
      for (const event of events) producer.sink("chat").publish(event);
      await all.until(10);
      const offset = all.positions[4]!;
      const late = routerOver(harness.open(space));
      const fromOffset = new Collector();
      const fromStart = new Collector();
      const fromNow = new Collector();
      late.addHandler("from-offset", "chat", fromOffset.handle, { from: { offset } });
      late.addHandler("late-web-client", "chat", fromStart.handle, { from: "beginning" });
      late.addHandler("from-now", "chat", fromNow.handle, { from: "now" });
      late.run();
      await fromStart.until(10);
      await fromOffset.until(6);
      await waitUntilSubscribed(producer, "chat", [fromNow]);
      for (const event of answerEvents(space, 2, 11)) producer.sink("chat").publish(event);
      await Promise.all([fromNow.until(2), fromStart.until(12), fromOffset.until(8)]);
      expect(fromStart.seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(fromOffset.seqs()).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
      expect(fromNow.seqs()).toEqual([11, 12]);
      await producer.close();
      await reader.close();
      await late.close();
    });

    it("a reader joining mid-answer gets each event's whole text so far, as published", async () => {
      const space = namespace();
      const producer = routerOver(harness.open(space));
      const events = answerEvents(space, 300);
      const all = new Collector();
      const reader = routerOver(harness.open(space));
      reader.addHandler("all", "chat", all.handle, { from: "beginning" });
      reader.run();
      for (const event of events) producer.sink("chat").publish(event);
      await all.until(300);
      expect(all.events).toEqual(events);
      const late = routerOver(harness.open(space));
      const joined = new Collector();
      late.addHandler("late-reader", "chat", joined.handle, { from: { offset: all.positions[229]! } });
      late.run();
      await joined.until(71);
      expect(joined.events).toEqual(events.slice(229));
      await producer.close();
      await reader.close();
      await late.close();
    });

    it("survives a server restart mid-stream: the publisher buffers and retries, the consumer resumes", async () => {
      const space = namespace();
      const warnings: TransportWarning[] = [];
      const producer = routerOver(harness.open(space, warnings));
      const seen = new Collector();
      const consumer = routerOver(harness.open(space));
      // No deduplication: the reconnected consumer resumes at the frame and event it got to.
      consumer.addHandler("printer", "chat", seen.handle, { from: "beginning" });
      consumer.run();
      const events = answerEvents(space, 30);
      for (const event of events.slice(0, 10)) producer.sink("chat").publish(event);
      await seen.until(10);
      await harness.server!().stop();
      for (const event of events.slice(10, 20)) producer.sink("chat").publish(event); // server away: buffered
      await harness.server!().start();
      for (const event of events.slice(20)) producer.sink("chat").publish(event);
      await seen.until(30, 30_000);
      expect(seen.seqs()).toEqual(events.map((event) => event.meta.seq));
      expect(warnings.map((warning) => warning.code)).toContain("server_unavailable");
      await producer.close();
      await consumer.close();
    }, 60_000);

    /** A consumer reading from the beginning with warnings collected, and a producer whose first event it has. */
    async function firstEventSeen() {
      const space = namespace();
      const warnings: TransportWarning[] = [];
      const transport = harness.open(space, warnings);
      const consumer = routerOver(transport);
      const seen = new Collector();
      consumer.addHandler("printer", "chat", seen.handle, { from: "beginning" });
      consumer.run();
      const producer = routerOver(harness.open(space));
      const [first, ...rest] = answerEvents(space, 3);
      producer.sink("chat").publish(first!);
      await seen.until(1);
      return { space, warnings, transport, consumer, seen, producer, first: first!, rest };
    }
    const skippedOf = (transport: unknown) => (transport as { stats(): { skipped: number } }).stats().skipped;

    it("skips, counts and reports a message that is not a geppetto event, and goes on", async () => {
      const { space, warnings, transport, consumer, seen, producer, rest } = await firstEventSeen();
      await harness.injectGarbage!(space, "chat", "this is not json");
      const unknownType = {
        type: "from-the-future",
        meta: { id: "f", seq: 9 },
        extra: 1,
      } as unknown as GeppettoEvent;
      producer.sink("chat").publish(unknownType);
      for (const event of rest) producer.sink("chat").publish(event);
      await seen.until(4);
      expect(seen.events[1]).toMatchObject({ type: "unknown", originalType: "from-the-future" });
      expect(seen.seqs()).toEqual([1, 9, 2, 3]);
      expect(warnings.filter((warning) => warning.code === "skipped_message").length).toBeGreaterThanOrEqual(
        1,
      );
      expect(skippedOf(transport)).toBeGreaterThanOrEqual(1);
      await producer.close();
      await consumer.close();
    });

    it("skips, counts and reports a frame of a format version it does not know, and goes on", async () => {
      const { space, warnings, transport, consumer, seen, producer, first, rest } = await firstEventSeen();
      // A valid event line, but in a frame of a version from the future: it is not read as version 2.
      await harness.injectGarbage!(
        space,
        "chat",
        `@9\n${encodeEvent({ ...first, meta: { ...first.meta, seq: 99 } })}`,
      );
      for (const event of rest) producer.sink("chat").publish(event);
      await seen.until(3);
      expect(seen.seqs()).toEqual([1, 2, 3]);
      const reported = warnings.filter((warning) => warning.code === "unknown_frame_version");
      expect(reported.length).toBe(1);
      expect(reported[0]!.message).toMatch(/frame format version "9".*skipped its 1 line/);
      expect(skippedOf(transport)).toBeGreaterThanOrEqual(1);
      await producer.close();
      await consumer.close();
    });
  },
);
