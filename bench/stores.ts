/**
 * Stores and several web chat instances, on real servers started here (PostgreSQL cluster, Redis, NATS); every
 * figure against a baseline measured in the same run.
 *
 * 1. Per-turn save over 1,000 turns of one session (a Session's pattern: the prompt saved, then the answer), on
 *    PostgreSQL and on SQLite: the median time of turns 11–30 (baseline, "turn 20") against turns 991–1,000.
 *    Target: turn 1,000 at most 2× turn 20 (PostgreSQL).
 * 2. 200 sessions saving at once on one PostgreSQL (one store, 10 connections): saves per second and the
 *    p50/p99 of one save, against one session saving alone.
 * 3. A → B: an answer streamed on web chat instance A, followed by a WebSocket on A and one on instance B (same
 *    PostgreSQL, relayed over Redis or NATS); per frame, what B's socket receives later than A's (p50/p99).
 *
 *   npm run build && npx node bench/stores.ts           # full
 *   npm run build && npx node bench/stores.ts --quick   # smaller sizes
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { median, percentile } from "./stats.ts";

// biome-ignore lint/suspicious/noExplicitAny: dist modules are loaded dynamically, typed at the call sites.
type Module = any;
const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const load = (path: string): Promise<Module> => import(dist(path));

const quick = process.argv.includes("--quick");
const TURNS = quick ? 300 : 1_000;
const SESSIONS = 200;
const SESSION_TURNS = quick ? 5 : 20;
const ANSWER_TOKENS = quick ? 150 : 400;
const say = (line: string) => process.stdout.write(`${line}\n`);

const core = await load("index.js");
const postgresStores = await load("stores/postgres/index.js");
const sessionModule = await load("session/index.js");
const webchat = await load("webchat/index.js");
const testing = await load("testing/index.js");
const { startTestPostgres } = await load("stores/postgres/test-server.js");
const { startNatsServer, startRedisServer } = await load("transports/test-servers.js");
const { default: postgres } = await import("postgres");

const cluster = await startTestPostgres();
const directory = mkdtempSync(join(tmpdir(), "geppetto-bench-stores-"));

async function database(name: string): Promise<string> {
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}

const answerText = (turn: number) =>
  `Answer ${turn}: ${"the quick brown fox jumps over the lazy dog ".repeat(8)}`;

/** Milliseconds per turn of one session: the prompt saved (pre_inference), then the answer (final). */
async function perTurn(store: Module, turns: number, sessionId = "long"): Promise<number[]> {
  let blocks: unknown[] = [];
  const times: number[] = [];
  for (let index = 0; index < turns; index++) {
    const start = performance.now();
    const turn = core.newTurn([...blocks, core.newUserTextBlock(`Question ${index}: what is ${index} * 7?`)]);
    await store.save(sessionId, turn, "pre_inference");
    const answered = { ...turn, blocks: [...turn.blocks, core.newAssistantTextBlock(answerText(index))] };
    await store.save(sessionId, answered, "final");
    times.push(performance.now() - start);
    blocks = answered.blocks;
  }
  return times;
}

function turnRatio(label: string, times: number[]): number {
  const early = median(times.slice(10, 30));
  const late = median(times.slice(-10));
  say(`| ${label} | ${early.toFixed(3)} | ${late.toFixed(3)} | ${(late / early).toFixed(2)}× |`);
  return late / early;
}

async function savesAtOnce(url: string): Promise<void> {
  const store = await postgresStores.openPostgresTurnStore({ url });
  const alone: number[] = [];
  const timed = async (sessionId: string, latencies: number[]) => {
    let blocks: unknown[] = [];
    for (let index = 0; index < SESSION_TURNS; index++) {
      const turn = core.newTurn([
        ...blocks,
        core.newUserTextBlock(`Q${index}`),
        core.newAssistantTextBlock(answerText(index)),
      ]);
      const start = performance.now();
      await store.save(sessionId, turn, "final");
      latencies.push(performance.now() - start);
      blocks = turn.blocks;
    }
  };
  await timed("warm-up", []);
  const aloneStart = performance.now();
  await timed("alone", alone);
  const aloneRate = SESSION_TURNS / ((performance.now() - aloneStart) / 1000);
  const together: number[] = [];
  const start = performance.now();
  await Promise.all(Array.from({ length: SESSIONS }, (_, index) => timed(`concurrent-${index}`, together)));
  const rate = (SESSIONS * SESSION_TURNS) / ((performance.now() - start) / 1000);
  say("| sessions | saves/s | × one session | p50 ms | p99 ms |");
  say("| --- | --- | --- | --- | --- |");
  say(
    `| 1 | ${aloneRate.toFixed(0)} | 1.00× | ${percentile(alone, 50).toFixed(2)} | ${percentile(alone, 99).toFixed(2)} |`,
  );
  say(
    `| ${SESSIONS} | ${rate.toFixed(0)} | ${(rate / aloneRate).toFixed(2)}× | ${percentile(together, 50).toFixed(2)} | ${percentile(together, 99).toFixed(2)} |`,
  );
  const listed = await store.listSessions();
  if (listed.length !== SESSIONS + 2)
    throw new Error(`expected ${SESSIONS + 2} sessions, found ${listed.length}`);
  await store.close();
}

/** A WebSocket on an instance, recording when each frame's seq arrived. */
async function follow(
  url: string,
  convId: string,
  arrivals: Map<number, number>,
): Promise<{ close(): void }> {
  const { WebSocket } = await import("ws");
  const socket = new WebSocket(`${url.replace("http", "ws")}ws?conv_id=${convId}`, {
    origin: url.slice(0, -1),
  });
  socket.on("message", (data) => {
    const now = performance.now();
    const parsed = JSON.parse(String(data));
    for (const frame of Array.isArray(parsed) ? parsed : [parsed]) arrivals.set(frame.seq, now);
  });
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  return { close: () => socket.close() };
}

async function relayLatency(kind: "redis" | "nats", url: string, transportUrl: string): Promise<number[]> {
  const open = async () => {
    const transport =
      kind === "redis"
        ? new (await load("transports/redis/index.js")).RedisStreamsTransport({ url: transportUrl })
        : new (await load("transports/nats/index.js")).NatsJetStreamTransport({ servers: transportUrl });
    await transport.connect();
    const timeline = await postgresStores.openPostgresTimelineStore({ url });
    const turnStore = await postgresStores.openPostgresTurnStore({ url });
    const engine = new testing.ScriptedEngine(
      () => [
        ...testing.script.text(Array.from({ length: ANSWER_TOKENS }, (_, index) => `w${index}`).join(" ")),
        testing.script.stop("stop"),
      ],
      { repeatLast: true, pacingMs: 5 },
    );
    const server = await webchat.startWebChatServer({
      engine: { engine },
      timeline,
      turnStore,
      relay: new webchat.WebChatRelay(transport),
      port: 0,
    });
    return {
      server,
      async close() {
        await server.close();
        await timeline.close();
        await turnStore.close();
        await transport.close();
      },
    };
  };
  const [a, b] = [await open(), await open()];
  const added: number[] = [];
  try {
    for (let round = 0; round < (quick ? 2 : 5); round++) {
      const created = await fetch(`${a.server.url}chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "warm" }),
      });
      const { conv_id: convId } = (await created.json()) as { conv_id: string };
      await waitIdle(a.server.url, convId, 1);
      const onA = new Map<number, number>();
      const onB = new Map<number, number>();
      const sockets = [await follow(a.server.url, convId, onA), await follow(b.server.url, convId, onB)];
      await fetch(`${a.server.url}chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "go", conv_id: convId }),
      });
      await waitIdle(a.server.url, convId, 2);
      const last = Math.max(...onA.keys());
      while (!onB.has(last)) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const [seq, at] of onA) if (onB.has(seq)) added.push(onB.get(seq)! - at);
      for (const socket of sockets) socket.close();
    }
  } finally {
    await a.close();
    await b.close();
  }
  return added;
}

/** Waits until the conversation has `count` answers, none streaming. */
async function waitIdle(url: string, convId: string, count: number): Promise<void> {
  for (;;) {
    const response = await fetch(`${url}api/timeline?conv_id=${convId}`);
    const snapshot = (await response.json()) as { entities: { kind: string; status: string }[] };
    const answers = snapshot.entities.filter((entity) => entity.kind === "assistant");
    if (answers.length >= count && answers.every((entity) => entity.status !== "streaming")) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

try {
  say(
    `# Stores and web chat instances (${quick ? "quick" : "full"}; load average ${(await import("node:os")).loadavg()[0]!.toFixed(2)})`,
  );
  say("");
  say(`Per-turn save over ${TURNS} turns of one session (ms per turn: the prompt saved, then the answer):`);
  say("");
  say("| store | turn 20 (median 11–30) | last 10 turns | × turn 20 |");
  say("| --- | --- | --- | --- |");
  const pg = await postgresStores.openPostgresTurnStore({ url: await database("bench_turns") });
  const pgRatio = turnRatio("PostgreSQL", await perTurn(pg, TURNS));
  await pg.close();
  const sqlite = await sessionModule.openSqliteTurnStore(join(directory, "sessions.db"));
  turnRatio("SQLite", await perTurn(sqlite, TURNS));
  await sqlite.close();
  say("");
  say(`Target (PostgreSQL, turn ${TURNS} ≤ 2× turn 20): ${pgRatio <= 2 ? "met" : "NOT met"}`);
  say("");
  say(
    `${SESSIONS} sessions saving at once on one PostgreSQL (${SESSION_TURNS} turns each, one store, 10 connections):`,
  );
  say("");
  await savesAtOnce(await database("bench_concurrent"));
  say("");
  say(
    `A → B: what a WebSocket on instance B receives later than one on A, per frame (${ANSWER_TOKENS}-token answers):`,
  );
  say("");
  say("| relay | frames | p50 ms | p99 ms |");
  say("| --- | --- | --- | --- |");
  const redis = await startRedisServer();
  const nats = await startNatsServer();
  try {
    for (const [kind, server] of [
      ["redis", redis],
      ["nats", nats],
    ] as const) {
      const added = await relayLatency(kind, await database(`bench_relay_${kind}`), server.url);
      say(
        `| ${kind} | ${added.length} | ${percentile(added, 50).toFixed(2)} | ${percentile(added, 99).toFixed(2)} |`,
      );
    }
  } finally {
    await redis.dispose();
    await nats.dispose();
  }
} finally {
  await cluster.dispose();
  rmSync(directory, { recursive: true, force: true });
}
