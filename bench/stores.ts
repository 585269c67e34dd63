/**
 * Stores and several web chat instances, on real servers started here (PostgreSQL cluster, Redis, NATS); every
 * figure against a baseline measured in the same run.
 *
 * 1. Per-turn save over 1,000 turns of one session (a Session's pattern: the prompt saved, then the answer), on
 *    PostgreSQL, SQLite and in memory: the median time of turns 11–30 (baseline, "turn 20") against turns
 *    991–1,000. Target: turn 1,000 at most 2× turn 20 (PostgreSQL). Beside it, the floor of the same work: a
 *    hand-written writer that inserts each turn's new blocks as JSON rows (one transaction per save, prepared
 *    statements, the same server or file): the cheapest honest consumer, which keeps nothing to diff against.
 * 1b. `searchSessions` for a word only a small session holds, while another session grows from 20 to 1,000
 *    turns of unrelated text: the median search time at 1,000 ÷ at 20 (≈ 1 when the index answers it).
 * 2. 200 sessions saving at once on one PostgreSQL (one store, 10 connections): saves per second and the
 *    p50/p99 of one save, against one session saving alone.
 * 3. A → B: an answer streamed on web chat instance A, followed by a WebSocket on A and one on instance B (same
 *    PostgreSQL, relayed over Redis or NATS); per frame, what B's socket receives later than A's (p50/p99).
 *
 *   npm run build && npx node bench/stores.ts           # full
 *   npm run build && npx node bench/stores.ts --quick   # smaller sizes
 *   … --json                                            # one JSON line of figures (for `npm run bench`)
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
const json = process.argv.includes("--json");
/** The figures, for `--json`. */
const figures: Record<string, number> = {};
const TURNS = quick ? 300 : 1_000;
const SESSIONS = 200;
const SESSION_TURNS = quick ? 5 : 20;
const ANSWER_TOKENS = quick ? 150 : 400;
const say = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

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

/** Median milliseconds of one search for a word only the "needle" session holds. */
async function searchMs(store: Module): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < 40; index++) {
    const start = performance.now();
    const hits = await store.searchSessions("zanzibar");
    times.push(performance.now() - start);
    if (hits.length !== 1) throw new Error(`search found ${hits.length} sessions, expected 1`);
  }
  return median(times.slice(10));
}

/**
 * Milliseconds per turn of one session: the prompt saved (pre_inference), then the answer (final). `save` is the
 * store's, or the floor's. Searches are timed at turn 20 and at the last turn (besides a small session that
 * holds the word looked for) when `search` is set.
 */
async function perTurn(
  save: (sessionId: string, turn: Module, phase: string) => Promise<void>,
  turns: number,
  search?: Module,
): Promise<{ times: number[]; searchAt20: number; searchAtEnd: number }> {
  let blocks: unknown[] = [];
  const times: number[] = [];
  let searchAt20 = Number.NaN;
  if (search)
    await search.save("needle", core.newTurn([core.newUserTextBlock("Tell me about Zanzibar")]), "final");
  for (let index = 0; index < turns; index++) {
    if (search && index === 20) searchAt20 = await searchMs(search);
    const start = performance.now();
    const turn = core.newTurn([...blocks, core.newUserTextBlock(`Question ${index}: what is ${index} * 7?`)]);
    await save("long", turn, "pre_inference");
    const answered = { ...turn, blocks: [...turn.blocks, core.newAssistantTextBlock(answerText(index))] };
    await save("long", answered, "final");
    times.push(performance.now() - start);
    blocks = answered.blocks;
  }
  return { times, searchAt20, searchAtEnd: search ? await searchMs(search) : Number.NaN };
}

/** The floor's diff: the blocks the turn added since the last save of its session, as [index, JSON] rows. */
function floorRows(): (sessionId: string, turn: Module) => [number, string][] {
  const written = new Map<string, number>();
  return (sessionId, turn) => {
    const rows: [number, string][] = [];
    for (let index = written.get(sessionId) ?? 0; index < turn.blocks.length; index++)
      rows.push([index, JSON.stringify(turn.blocks[index])]);
    written.set(sessionId, turn.blocks.length);
    return rows;
  };
}

/** The PostgreSQL floor: one transaction per save inserting the new block rows (pipelined). */
async function postgresFloor(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`CREATE TABLE floor_blocks (session_id TEXT, block_index INT, block_json TEXT, PRIMARY KEY (session_id, block_index))`;
  const rowsOf = floorRows();
  return {
    save: async (sessionId: string, turn: Module) => {
      const rows = rowsOf(sessionId, turn);
      await sql.begin((transaction) =>
        rows.map(
          ([index, block]) => transaction`INSERT INTO floor_blocks VALUES (${sessionId}, ${index}, ${block})`,
        ),
      );
    },
    close: () => sql.end(),
  };
}

/** The SQLite floor: the same, with node:sqlite, WAL and `synchronous = NORMAL` like the store. */
async function sqliteFloor(file: string) {
  const { DatabaseSync } = await import("node:sqlite");
  const database = new DatabaseSync(file);
  database.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  database.exec(
    "CREATE TABLE floor_blocks (session_id TEXT, block_index INT, block_json TEXT, PRIMARY KEY (session_id, block_index))",
  );
  const insert = database.prepare("INSERT INTO floor_blocks VALUES (?, ?, ?)");
  const rowsOf = floorRows();
  return {
    save: async (sessionId: string, turn: Module) => {
      database.exec("BEGIN IMMEDIATE");
      for (const [index, block] of rowsOf(sessionId, turn)) insert.run(sessionId, index, block);
      database.exec("COMMIT");
    },
    close: async () => database.close(),
  };
}

/** One store's row: turn 20, the last turns, their ratio, the floor's, and search at 20 and at the end. */
async function storeRow(
  label: string,
  key: string,
  store: Module,
  floor: { save: (sessionId: string, turn: Module) => Promise<void>; close(): Promise<unknown> } | undefined,
): Promise<void> {
  const measured = await perTurn((id, turn, phase) => store.save(id, turn, phase), TURNS, store);
  const early = median(measured.times.slice(10, 30));
  const late = median(measured.times.slice(-10));
  figures[`${key}TurnRatio`] = late / early;
  figures[`${key}SearchGrowth`] = measured.searchAtEnd / measured.searchAt20;
  let floorCells = ["—", "—"];
  if (floor) {
    const floorTimes = (await perTurn((id, turn) => floor.save(id, turn), TURNS)).times;
    await floor.close();
    const floorEarly = median(floorTimes.slice(10, 30));
    const floorLate = median(floorTimes.slice(-10));
    figures[`${key}VsFloorAt20`] = early / floorEarly;
    figures[`${key}VsFloorAtEnd`] = late / floorLate;
    floorCells = [
      `${floorEarly.toFixed(3)} / ${floorLate.toFixed(3)}`,
      `${(early / floorEarly).toFixed(2)}× / ${(late / floorLate).toFixed(2)}×`,
    ];
  }
  say(
    `| ${label} | ${early.toFixed(3)} | ${late.toFixed(3)} | ${(late / early).toFixed(2)}× | ${floorCells.join(" | ")} | ${measured.searchAt20.toFixed(3)} | ${measured.searchAtEnd.toFixed(3)} | ${(measured.searchAtEnd / measured.searchAt20).toFixed(2)}× |`,
  );
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
  figures.concurrentSavesPerSecond = rate;
  figures.concurrentVsOneSession = rate / aloneRate;
  figures.concurrentSaveP99Ms = percentile(together, 99);
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
  say(
    `Per-turn save over ${TURNS} turns of one session (ms per turn: the prompt saved, then the answer), and`,
  );
  say(
    "`searchSessions` for a word only a small session holds, at 20 turns of the long one and at the last turn:",
  );
  say("");
  say(
    "| store | turn 20 (median 11–30) | last 10 turns | × turn 20 | floor, turn 20 / last | store ÷ floor, turn 20 / last | search at 20 turns, ms | search at the last, ms | × at 20 |",
  );
  say("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const pgUrl = await database("bench_turns");
  const pg = await postgresStores.openPostgresTurnStore({ url: pgUrl });
  await storeRow("PostgreSQL", "postgres", pg, await postgresFloor(pgUrl));
  await pg.close();
  const sqlite = await sessionModule.openSqliteTurnStore(join(directory, "sessions.db"));
  await storeRow("SQLite", "sqlite", sqlite, await sqliteFloor(join(directory, "floor.db")));
  await sqlite.close();
  await storeRow("memory", "memory", new sessionModule.MemoryTurnStore(), undefined);
  say("");
  say(
    `Target (PostgreSQL, turn ${TURNS} ≤ 2× turn 20): ${figures.postgresTurnRatio! <= 2 ? "met" : "NOT met"}.`,
  );
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
      figures[`${kind}RelayP50Ms`] = percentile(added, 50);
      figures[`${kind}RelayP99Ms`] = percentile(added, 99);
      say(
        `| ${kind} | ${added.length} | ${percentile(added, 50).toFixed(2)} | ${percentile(added, 99).toFixed(2)} |`,
      );
    }
  } finally {
    await redis.dispose();
    await nats.dispose();
  }
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  await cluster.dispose();
  rmSync(directory, { recursive: true, force: true });
}
