/**
 * The processes of bench/transports.ts, each loading geppetto from the build it is given (`dist/` or a baseline's):
 *
 * - `consume <kind> <url> <name> <answers> <tokens> <dist>`: a consumer router with one handler; prints `ready` once
 *   its handler receives the marker it published itself (it reads live), then the time each measured event
 *   reached the handler, as JSON, once it has them all.
 * - `produce <kind> <url> <name> <answers> <tokens> <paced|burst> <dist>`: a producer router; prints `connected`,
 *   publishes when it reads `go` on stdin, then prints the time it published each event, as JSON, once written.
 * - `both in-process …`: the two in one process over the in-process transport (the reference: live objects, no wire).
 * - `cpu <kind> <url> <port> <tokens> <measured> <dist>`: CPU per token of the inference process with no sink and
 *   with the sink, alternating in the same process after warm-ups.
 * - `consume` / `produce` with kind `redis-raw` or `nats-raw`: the floor, the same events through the client alone
 *   (no router, no frames, no groups, no acknowledgements): Redis one `XADD` per event (not awaited: ioredis
 *   writes them back to back) read with `XREAD BLOCK`; NATS a core publish per event onto the stream's subject
 *   read by an ordered consumer (JetStream's own path, unacknowledged). Each event is its JSON.
 *
 * Times are `performance.timeOrigin + performance.now()`: milliseconds on the system clock with microseconds, the
 * same clock in every process of the machine, so a latency can be read across two processes.
 */
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

type Kind = "in-process" | "redis" | "nats" | "redis-raw" | "nats-raw";
interface Event {
  type: string;
  meta: { id: string; seq: number; inferenceId?: string };
  delta?: string;
  completion?: string;
  text?: string;
}
interface Router {
  addHandler(name: string, topic: string, handler: (event: Event) => void, options?: object): void;
  sink(topic: string): { publish(event: Event): unknown };
  run(): Promise<void>;
  close(): Promise<void>;
}
interface Transport {
  connect?(): Promise<void>;
  stats?(): { buffered: number };
}

const [, , mode, kind, url, ...rest] = process.argv as [string, string, string, Kind, string, ...string[]];
const distDir = rest[rest.length - 1]!;
const dist = (path: string) => pathToFileURL(`${distDir}/${path}`).href;
const core = await import(dist("index.js"));
const clock = () => performance.timeOrigin + performance.now();
/** Events per answer: a start, `tokens` partials, a final. */
const perAnswer = (tokens: number) => tokens + 2;

async function openTransport(name: string): Promise<Transport> {
  if (kind === "in-process") return new core.InProcessTransport();
  const options = { maxLength: 1_000_000, maxBuffered: 1_000_000 };
  let transport: Transport;
  if (kind === "redis") {
    const { RedisStreamsTransport } = await import(dist("transports/redis/index.js"));
    transport = new RedisStreamsTransport({ url, keyPrefix: `bench:${name}:`, ...options });
  } else {
    const { NatsJetStreamTransport } = await import(dist("transports/nats/index.js"));
    transport = new NatsJetStreamTransport({
      servers: url,
      stream: `BENCH_${name}`,
      subjectPrefix: `bench.${name}`,
      ...options,
    });
  }
  await transport.connect?.();
  return transport;
}

/** Event `index` of answer `answer` (0: start, 1…tokens: partials, tokens + 1: final). */
function eventOf(answer: number, index: number, tokens: number): Event {
  const meta = { id: `message-${answer}`, seq: index + 1, inferenceId: `inference-${answer}` };
  if (index === 0) return { type: "start", meta };
  if (index <= tokens) return { type: "partial", delta: "wörd ", completion: "wörd ".repeat(index), meta };
  return { type: "final", text: "wörd ".repeat(tokens), meta };
}

/**
 * Publishes the events of `answers` concurrent answers. Paced: like live answers, one token of each every 20 ms,
 * the answers' tokens spread evenly over those 20 ms (answer a's token r is due at r × 20 + a × 20 / answers
 * ms); the events due are published together, stamped with the time they were published. Burst: every event at
 * once, round by round. Returns each event's publish time (index answer × events per answer + index).
 */
async function publishAll(
  sink: { publish(event: Event): unknown },
  answers: number,
  tokens: number,
  paced: boolean,
): Promise<Float64Array> {
  const events = perAnswer(tokens);
  const sentAt = new Float64Array(answers * events);
  const start = clock();
  for (let index = 0; index < events; index++) {
    for (let answer = 0; answer < answers; answer++) {
      if (paced) {
        const due = start + index * 20 + (answer * 20) / answers;
        const wait = due - clock();
        if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      sentAt[answer * events + index] = clock();
      sink.publish(eventOf(answer, index, tokens));
    }
  }
  return sentAt;
}

/** Adds the measuring handler; resolves with each event's arrival time once all arrived. */
function receiveAll(
  router: Router,
  answers: number,
  tokens: number,
  onReady: () => void,
): Promise<Float64Array> {
  const events = perAnswer(tokens);
  const receivedAt = new Float64Array(answers * events);
  let count = 0;
  const { promise, resolve } = Promise.withResolvers<Float64Array>();
  router.addHandler(
    "bench",
    "chat",
    (event) => {
      const at = clock();
      const inference = event.meta.inferenceId!;
      if (inference === "ready") return onReady();
      receivedAt[Number(inference.slice(10)) * events + event.meta.seq - 1] = at;
      if (++count === receivedAt.length) resolve(receivedAt);
    },
    { from: "beginning", bufferSize: receivedAt.length + 16 },
  );
  return promise;
}

/** Writes the result line and exits once it is written (a pipe is written asynchronously). */
async function finish(result: object): Promise<never> {
  await new Promise((resolve) => process.stdout.write(`${JSON.stringify(result)}\n`, resolve));
  process.exit(0);
}

/** Milliseconds of CPU (user + system) this process used since `before`. */
function cpuSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** Resolves once the transport has written every published event. */
async function written(transport: Transport): Promise<void> {
  while ((transport.stats?.().buffered ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 1));
}

function readyMarker(): Event {
  return { type: "start", meta: { id: "ready", seq: 1, inferenceId: "ready" } };
}

/** The floor's client: publishes an event's JSON, reads the topic's JSON from now; `ready` once it reads live. */
interface RawClient {
  publish(event: Event): void;
  /** Resolves once the server has what was published. */
  written(): Promise<unknown>;
  read(onEvent: (event: Event) => void): void;
  close(): Promise<void>;
}

async function openRaw(name: string): Promise<RawClient> {
  if (kind === "redis-raw") {
    const { Redis } = await import("ioredis");
    const writer = new Redis(url);
    const reader = new Redis(url);
    const key = `bench:${name}:raw`;
    let stopped = false;
    return {
      publish: (event) => void writer.xadd(key, "*", "event", JSON.stringify(event)),
      written: () => writer.ping(),
      read(onEvent) {
        void (async () => {
          let last = "$";
          while (!stopped) {
            const reply = await reader
              .xread("COUNT", 1000, "BLOCK", 1000, "STREAMS", key, last)
              .catch(() => null);
            for (const [, entries] of reply ?? [])
              for (const [id, fields] of entries) {
                last = id;
                onEvent(JSON.parse(fields[1]!));
              }
          }
        })();
      },
      async close() {
        stopped = true;
        reader.disconnect();
        await writer.quit();
      },
    };
  }
  const { connect } = await import("@nats-io/transport-node");
  const { jetstream, jetstreamManager, DeliverPolicy } = await import("@nats-io/jetstream");
  const connection = await connect({ servers: url });
  const stream = `BENCHRAW_${name}`;
  const subject = `benchraw.${name}`;
  const manager = await jetstreamManager(connection);
  await manager.streams.add({ name: stream, subjects: [subject] }).catch(() => {});
  return {
    publish: (event) => connection.publish(subject, JSON.stringify(event)),
    written: () => connection.flush(),
    read(onEvent) {
      void (async () => {
        const consumer = await jetstream(connection).consumers.get(stream, {
          deliver_policy: DeliverPolicy.New,
        });
        for await (const message of await consumer.consume()) onEvent(message.json());
      })();
    },
    close: () => connection.close(),
  };
}

if ((mode === "consume" || mode === "produce") && kind.endsWith("-raw")) {
  const [name, answers, tokens, pacing] = [rest[0]!, Number(rest[1]), Number(rest[2]), rest[3]];
  const client = await openRaw(name);
  if (mode === "consume") {
    const events = perAnswer(tokens);
    const receivedAt = new Float64Array(answers * events);
    let count = 0;
    const { promise: ready, resolve: gotReady } = Promise.withResolvers<void>();
    const { promise: all, resolve: gotAll } = Promise.withResolvers<void>();
    client.read((event) => {
      const at = clock();
      const inference = event.meta.inferenceId!;
      if (inference === "ready") return gotReady();
      receivedAt[Number(inference.slice(10)) * events + event.meta.seq - 1] = at;
      if (++count === receivedAt.length) gotAll();
    });
    // The reader may not be reading yet: the marker again until it arrives.
    const marker = setInterval(() => client.publish(readyMarker()), 50);
    client.publish(readyMarker());
    await ready;
    clearInterval(marker);
    const cpu = process.cpuUsage();
    process.stdout.write("ready\n");
    await all;
    const cpuMs = cpuSince(cpu);
    await client.close();
    await finish({ receivedAt: [...receivedAt], cpuMs });
  } else {
    process.stdout.write("connected\n");
    const lines = createInterface({ input: process.stdin });
    await new Promise((resolve) => lines.once("line", resolve));
    const cpu = process.cpuUsage();
    const sentAt = await publishAll(client, answers, tokens, pacing === "paced");
    await client.written();
    const cpuMs = cpuSince(cpu);
    await client.close();
    await finish({ sentAt: [...sentAt], cpuMs });
  }
}

if ((mode === "consume" || mode === "both") && !kind.endsWith("-raw")) {
  const [name, answers, tokens] = [rest[0]!, Number(rest[1]), Number(rest[2])];
  const consumer: Router = new core.EventRouter({ transport: await openTransport(name) });
  const { promise: ready, resolve: gotReady } = Promise.withResolvers<void>();
  const received = receiveAll(consumer, answers, tokens, gotReady);
  consumer.run();
  consumer.sink("chat").publish(readyMarker());
  await ready;
  let sentAt: Float64Array | undefined;
  const cpu = process.cpuUsage();
  if (mode === "both") sentAt = await publishAll(consumer.sink("chat"), answers, tokens, rest[3] === "paced");
  else process.stdout.write("ready\n");
  const receivedAt = await received;
  const cpuMs = cpuSince(cpu);
  await consumer.close();
  await finish({ receivedAt: [...receivedAt], cpuMs, ...(sentAt ? { sentAt: [...sentAt] } : {}) });
}

if (mode === "produce" && !kind.endsWith("-raw")) {
  const [name, answers, tokens, pacing] = [rest[0]!, Number(rest[1]), Number(rest[2]), rest[3]];
  const transport = await openTransport(name);
  const producer: Router & { transport: Transport } = Object.assign(new core.EventRouter({ transport }), {
    transport,
  });
  producer.run();
  process.stdout.write("connected\n");
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once("line", resolve));
  const cpu = process.cpuUsage();
  const sentAt = await publishAll(producer.sink("chat"), answers, tokens, pacing === "paced");
  await written(producer.transport);
  const cpuMs = cpuSince(cpu);
  await producer.close();
  await finish({ sentAt: [...sentAt], cpuMs });
}

if (mode === "cpu") {
  const [port, cpuTokens, measured] = [rest[0]!, Number(rest[1]), Number(rest[2])];
  const warmUps = 2;
  const { createOpenAIChatEngine } = await import(dist("providers/openai/index.js"));
  const engine = createOpenAIChatEngine({
    model: `text-${cpuTokens}`,
    apiKey: "bench",
    baseURL: `http://127.0.0.1:${port}/v1`,
  });
  const turn = core.newTurn([core.newUserTextBlock("hi")]);
  const transport = await openTransport(`cpu${process.pid}`);
  const router: Router = new core.EventRouter({ transport });
  router.run();
  const contexts = {
    none: core.RunContext.background(),
    sink: core.RunContext.background().withSinks(router.sink("chat")),
  };
  const samples: Record<"none" | "sink", number[]> = { none: [], sink: [] };
  for (let round = 0; round < warmUps + measured; round++) {
    for (const mode of round % 2 === 0 ? (["none", "sink"] as const) : (["sink", "none"] as const)) {
      const before = process.cpuUsage();
      await engine.runInference(turn, contexts[mode]);
      if (mode === "sink") await written(transport);
      const used = process.cpuUsage(before);
      if (round >= warmUps) samples[mode].push((used.user + used.system) / cpuTokens);
    }
  }
  await router.close();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  await finish({ none: median(samples.none), sink: median(samples.sink) });
}
