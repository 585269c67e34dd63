import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import {
  assistantText,
  newAssistantTextBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
} from "../turns/builders.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import type { Block, Turn } from "../turns/types.ts";
import { EngineBuilder } from "./engine-builder.ts";
import { Session } from "./session.ts";
import { STORE_SCHEMA_VERSION, StoreSchemaError } from "./sqlite-schema.ts";
import { openSqliteTurnStore } from "./sqlite-turn-store.ts";
import { CorruptTurnError, MemoryTurnStore, type TurnStore } from "./turn-store.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-layout-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const dbPath = () => join(directory, `${crypto.randomUUID()}.db`);

const V1_FIXTURE = new URL("./__fixtures__/sessions-v1.db", import.meta.url);
/** Written by geppetto's schema version 2 (before the search index): two sessions, three turns. */
const V2_FIXTURE = new URL("./__fixtures__/sessions-v2.db", import.meta.url);
/** Written by schema version 2 too (before the pieces table): a session with tools and a plain one. */
const V2_TOOLS_FIXTURE = new URL("./__fixtures__/sessions-v2-tools.db", import.meta.url);

/** What a store must give back: the last saved state of each turn, with the session id stamped. */
function expected(sessionId: string, turn: Turn): unknown {
  return JSON.parse(JSON.stringify(KeyTurnMetaSessionId.set(turn, sessionId)));
}
const plain = (turns: Turn[]) => JSON.parse(JSON.stringify(turns));

type Action =
  | { kind: "next"; added: number; phase: SnapshotPhase }
  | { kind: "answer"; phase: SnapshotPhase }
  | { kind: "system"; text: string }
  | { kind: "older"; turn: number }
  | { kind: "shrink" };

const phases = fc.constantFrom<SnapshotPhase>("pre_inference", "post_inference", "post_tools", "final");
const actions = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("next" as const),
        added: fc.integer({ min: 1, max: 2 }),
        phase: phases,
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("answer" as const), phase: phases }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("system" as const), text: fc.constantFrom("A", "B") }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("older" as const), turn: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("shrink" as const) }) },
  ),
  { minLength: 1, maxLength: 25 },
);

let count = 0;
function newBlocks(added: number): Block[] {
  return Array.from({ length: added }, () => {
    count++;
    if (count % 5 === 0)
      return newToolCallBlock({ id: `call_${count}`, name: "add", args: { a: count, b: 1 } });
    if (count % 5 === 1 && count > 1)
      return newToolUseBlock(`call_${count - 1}`, { sum: count }, { name: "add" });
    return newUserTextBlock(`prompt ${count} — Grüße ✓ {"json": true}`);
  });
}

/** Plays the actions on a store and on a plain model of what was saved last per turn. */
async function play(store: TurnStore, sessionId: string, plan: Action[]): Promise<Map<string, unknown>> {
  const saved = new Map<string, unknown>();
  const turns: Turn[] = [];
  const save = async (turn: Turn, phase: SnapshotPhase) => {
    const index = turns.findIndex((each) => each.id === turn.id);
    if (index >= 0) turns[index] = turn;
    else turns.push(turn);
    await store.save(sessionId, turn, phase);
    saved.set(turn.id, expected(sessionId, turn));
  };
  for (const action of plan) {
    const newest = turns.at(-1);
    switch (action.kind) {
      case "next":
        await save(
          {
            id: crypto.randomUUID(),
            blocks: [...(newest?.blocks ?? []), ...newBlocks(action.added)],
            metadata: { "test.n@v1": turns.length },
            data: turns.length % 2 === 0 ? {} : { "test.config@v1": { temperature: 0.5 } },
          },
          action.phase,
        );
        break;
      case "answer":
        if (newest)
          await save(
            {
              ...newest,
              blocks: [...newest.blocks, newAssistantTextBlock(`answer ${count++}`)],
              metadata: { done: true },
            },
            action.phase,
          );
        break;
      case "system":
        if (newest) {
          const blocks = [...newest.blocks];
          const system = newSystemTextBlock(action.text);
          if (blocks[0]?.kind === "system") blocks[0] = { ...system, id: blocks[0].id };
          else blocks.unshift(system);
          await save({ ...newest, blocks }, "pre_inference");
        }
        break;
      case "older":
        if (turns.length >= 2) {
          const turn = turns[action.turn % (turns.length - 1)]!;
          await save(
            { ...turn, blocks: [...turn.blocks, newAssistantTextBlock(`late ${count++}`)] },
            "final",
          );
        }
        break;
      case "shrink":
        if (newest && newest.blocks.length > 0)
          await save({ ...newest, blocks: newest.blocks.slice(0, -1) }, "final");
        break;
    }
  }
  return saved;
}

async function expectLoads(store: TurnStore, sessionId: string, saved: Map<string, unknown>): Promise<void> {
  const order = (await store.listTurns(sessionId)).map((info) => info.turnId);
  expect(order).toEqual([...saved.keys()]);
  expect(plain(await store.loadSession(sessionId))).toEqual([...saved.values()]);
  for (const [turnId, turn] of saved) expect(plain([(await store.load(sessionId, turnId))!])).toEqual([turn]);
  if (order.length > 0)
    expect(plain([(await store.loadLatest!(sessionId))!])).toEqual([[...saved.values()].at(-1)]);
}

describe("stores keep each block once and load exactly what was saved", () => {
  it("random histories through both stores load as saved, also from a reopened SQLite file (property)", async () => {
    await fc.assert(
      fc.asyncProperty(actions, async (plan) => {
        const memory = new MemoryTurnStore();
        const path = dbPath();
        const sqlite = await openSqliteTurnStore(path);
        const fromMemory = await play(memory, "s", plan);
        const fromSqlite = await play(sqlite, "s", plan);
        await expectLoads(memory, "s", fromMemory);
        await expectLoads(sqlite, "s", fromSqlite);
        await sqlite.close();
        const reopened = await openSqliteTurnStore(path);
        await expectLoads(reopened, "s", fromSqlite);
        await reopened.close();
      }),
      { numRuns: 120 },
    );
  });

  it("a save writes what the turn added, not the conversation (bytes written stay flat over 200 turns)", async () => {
    for (const store of [new MemoryTurnStore(), await openSqliteTurnStore(dbPath())]) {
      const engine = new ScriptedEngine(script.text("Die Antwort ist zweiundvierzig, wie immer."), {
        repeatLast: true,
      });
      // Streaming checkpoints off: they are bounded in time, not bytes (a turn stalled by a loaded machine for
      // 750 ms would write one), and this counts what the snapshot phases write.
      const runner = new EngineBuilder().withBase(engine).withPersister(store).withCheckpoint(false);
      const session = new Session({ runner });
      const written: number[] = [];
      for (let turn = 0; turn < 200; turn++) {
        const before = store.stats!().bytesWritten;
        session.appendNewTurnFromUserPrompt(`Frage ${turn}: wie viel ist sechs mal sieben?`);
        await session.startInference().wait();
        written.push(store.stats!().bytesWritten - before);
      }
      const latest = session.latest()!;
      const newBlocks = JSON.stringify(latest.blocks.slice(-2)).length;
      // Medians of ten turns, early and late: one turn's count alone was seen 35% above its neighbours in a CI run
      // (a save landing outside the turn it belongs to), which says nothing about growth with the conversation.
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const early = median(written.slice(10, 20));
      const late = median(written.slice(-10));
      // Each turn writes its two new blocks and its metadata (once per phase that changed it), never the history:
      // the same at turn 200 as at turn 10, and a small part of the conversation.
      expect(late).toBeLessThan(2.5 * (newBlocks + JSON.stringify(latest.metadata).length));
      expect(late).toBeLessThan(1.2 * early);
      expect(late).toBeLessThan(JSON.stringify(latest).length / 30);
      await (store as TurnStore).close?.();
    }
  });
});

describe("SQLite schema versions", () => {
  it("migrates a database written by geppetto 0.1 (frozen fixture): it loads, lists and continues", async () => {
    const path = dbPath();
    copyFileSync(V1_FIXTURE, path);
    const store = await openSqliteTurnStore(path);
    expect(store.migratedFrom).toBe(1);
    const summaries = await store.listSessionSummaries();
    expect(summaries.map((summary) => [summary.sessionId, summary.turnCount, summary.title]).sort()).toEqual([
      ["0f0e0d0c-v1-session-with-tools", 2, "What is 2 + 3?"],
      ["1a1b1c1d-v1-plain-session", 2, "Hi"],
    ]);
    const turns = await store.loadSession("0f0e0d0c-v1-session-with-tools");
    expect(turns).toHaveLength(2);
    const latest = turns.at(-1)!;
    expect(latest.blocks.map((block) => block.kind)).toEqual([
      "system",
      "user",
      "reasoning",
      "tool_call",
      "tool_use",
      "llm_text",
      "user",
      "llm_text",
    ]);
    expect(latest.blocks.find((block) => block.kind === "reasoning")?.payload).toMatchObject({
      signature: "sig-abc",
    });
    expect(turns[0]!.blocks[1]).toBe(latest.blocks[1]); // the migrated turns share their blocks
    const session = new Session({
      id: "0f0e0d0c-v1-session-with-tools",
      history: turns,
      runner: new EngineBuilder().withBase(new ScriptedEngine(script.text("Weiter."))).withPersister(store),
    });
    session.appendNewTurnFromUserPrompt("Continue");
    await session.startInference().wait();
    await store.close();
    const reopened = await openSqliteTurnStore(path);
    expect(reopened.migratedFrom).toBeUndefined();
    const continued = await reopened.loadSession("0f0e0d0c-v1-session-with-tools");
    expect(continued).toHaveLength(3);
    expect(assistantText(continued.at(-1)!)).toContain("Weiter.");
    for (const text of ["2 + 3", "weiter"]) {
      expect((await reopened.searchSessions(text)).map((hit) => hit.sessionId)).toEqual([
        "0f0e0d0c-v1-session-with-tools",
      ]);
    }
    await reopened.close();
    const { DatabaseSync } = await import("node:sqlite");
    const database = new DatabaseSync(path);
    expect(database.prepare("PRAGMA user_version").get()).toEqual({ user_version: STORE_SCHEMA_VERSION });
    database.close();
  });

  it("adds the search index to a version-2 database (frozen fixture), built from its rows, used by search", async () => {
    const path = dbPath();
    copyFileSync(V2_FIXTURE, path);
    const store = await openSqliteTurnStore(path);
    expect(store.migratedFrom).toBe(2);
    expect((await store.searchSessions("invoice")).map((hit) => [hit.sessionId, hit.excerpt])).toEqual([
      ["2b2b2b2b-v2-invoices", "Where is my invoice?"],
    ]);
    expect((await store.searchSessions("STRIPES")).map((hit) => hit.sessionId)).toEqual([
      "3c3c3c3c-v2-zebras",
    ]);
    await store.save("2b2b2b2b-v2-invoices", newTurn([newUserTextBlock("quokka facts")]), "final");
    expect((await store.searchSessions("quokka")).map((hit) => hit.sessionId)).toEqual([
      "2b2b2b2b-v2-invoices",
    ]);
    await store.close();
    const { DatabaseSync } = await import("node:sqlite");
    const database = new DatabaseSync(path);
    expect(database.prepare("PRAGMA user_version").get()).toEqual({ user_version: STORE_SCHEMA_VERSION });
    // The lookup is answered by the trigram index (":M" is FTS5's MATCH plan), not by reading every block.
    const plan = database
      .prepare(
        `EXPLAIN QUERY PLAN SELECT rowid FROM geppetto_search WHERE geppetto_search MATCH '"inv" AND "nvo"'`,
      )
      .all()
      .map((row) => (row as { detail: string }).detail);
    expect(plan.join(" ")).toMatch(/VIRTUAL TABLE INDEX 0:M/);
    database.close();
  });

  it("migrates a database written by schema version 2 (frozen fixture): it gains the pieces table, loads and continues", async () => {
    const path = dbPath();
    copyFileSync(V2_TOOLS_FIXTURE, path);
    const store = await openSqliteTurnStore(path);
    expect(store.migratedFrom).toBe(2);
    const summaries = await store.listSessionSummaries();
    expect(summaries.map((summary) => [summary.sessionId, summary.turnCount, summary.title]).sort()).toEqual([
      ["0f0e0d0c-v2-session-with-tools", 2, "What is 2 + 3?"],
      ["1a1b1c1d-v2-plain-session", 2, "Hi"],
    ]);
    const turns = await store.loadSession("0f0e0d0c-v2-session-with-tools");
    expect(turns.at(-1)!.blocks.map((block) => block.kind)).toEqual([
      "system",
      "user",
      "reasoning",
      "tool_call",
      "tool_use",
      "llm_text",
      "user",
      "llm_text",
    ]);
    const session = new Session({
      id: "0f0e0d0c-v2-session-with-tools",
      history: turns,
      runner: new EngineBuilder().withBase(new ScriptedEngine(script.text("Weiter."))).withPersister(store),
    });
    session.appendNewTurnFromUserPrompt("Continue");
    await session.startInference().wait();
    await store.close();
    const reopened = await openSqliteTurnStore(path);
    expect(reopened.migratedFrom).toBeUndefined();
    expect(assistantText((await reopened.loadLatest("0f0e0d0c-v2-session-with-tools"))!)).toContain(
      "Weiter.",
    );
    await reopened.close();
  });

  it("keeps a v1 row that does not decode, names it on load, and reads the session's other turns", async () => {
    const path = dbPath();
    const { DatabaseSync } = await import("node:sqlite");
    const v1 = new DatabaseSync(path);
    v1.exec(`CREATE TABLE geppetto_turns (session_id TEXT NOT NULL, turn_id TEXT NOT NULL, position INTEGER NOT NULL,
      phase TEXT NOT NULL, saved_at TEXT NOT NULL, turn_json TEXT NOT NULL, PRIMARY KEY (session_id, turn_id))`);
    const good = {
      format: "geppetto.turn/v1",
      id: "t1",
      blocks: [newUserTextBlock("hello")],
      metadata: {},
      data: {},
    };
    const insert = v1.prepare("INSERT INTO geppetto_turns VALUES (?, ?, ?, ?, ?, ?)");
    insert.run("s1", "t1", 1, "final", "2026-11-01T00:00:00.000Z", JSON.stringify(good));
    insert.run(
      "s1",
      "t2",
      2,
      "final",
      "2026-11-01T00:00:01.000Z",
      '{"format":"geppetto.turn/v1","id":"t2","blocks":[{',
    );
    v1.close();
    const store = await openSqliteTurnStore(path);
    expect((await store.load("s1", "t1"))?.blocks).toHaveLength(1);
    await expect(store.load("s1", "t2")).rejects.toThrow(
      /corrupt turn in store: session s1, turn t2, phase final: not JSON/,
    );
    await store.close();
  });

  it("refuses a database written by a newer geppetto, naming the file and both versions, and changes nothing", async () => {
    const path = dbPath();
    const { DatabaseSync } = await import("node:sqlite");
    const newer = new DatabaseSync(path);
    newer.exec("CREATE TABLE future (x); PRAGMA user_version = 7");
    newer.close();
    const before = readFileSync(path);
    const error = await openSqliteTurnStore(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreSchemaError);
    expect((error as Error).message).toBe(
      `${path} was written by a newer geppetto (store schema version 7); this geppetto reads versions up to ${STORE_SCHEMA_VERSION}: upgrade geppetto to open it`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("names the session, turn and column of a corrupt block row", async () => {
    const path = dbPath();
    const store = await openSqliteTurnStore(path);
    const turn: Turn = {
      id: "t1",
      blocks: [newUserTextBlock("hi"), newAssistantTextBlock("ho")],
      metadata: {},
      data: {},
    };
    await store.save("s1", turn, "final");
    await store.close();
    const { DatabaseSync } = await import("node:sqlite");
    const database = new DatabaseSync(path);
    database.exec(
      `UPDATE geppetto_blocks SET block_json = '{"id":"x","kind":"llm_text","payload":{}}' WHERE block_index = 1`,
    );
    database.close();
    const reopened = await openSqliteTurnStore(path);
    const error = await reopened.loadSession("s1").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CorruptTurnError);
    expect((error as Error).message).toMatch(
      /^corrupt turn in store: session s1, turn t1, column block_json \(block 1, written by turn 1\): invalid block: payload\.text/,
    );
    await reopened.close();
  });
});
