import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { StreamProgress } from "../engine/checkpoint.ts";
import { KeyInferenceResult } from "../engine/engine.ts";
import { ScriptedEngine, type ScriptStep, script } from "../testing/scripted-engine.ts";
import { assistantText } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import { EngineBuilder } from "./engine-builder.ts";
import { Session } from "./session.ts";
import { openSqliteTurnStore, type SqliteTurnStore } from "./sqlite-turn-store.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-pieces-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const dbPath = () => join(directory, `${crypto.randomUUID()}.db`);

async function piecesIn(path: string): Promise<number> {
  const { DatabaseSync } = await import("node:sqlite");
  const database = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((database.prepare("SELECT count(*) AS n FROM geppetto_pieces").get() as { n: number }).n);
  } finally {
    database.close();
  }
}

/** `count` deltas of 100 characters, 1 ms apart. */
function longAnswer(count: number): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (let index = 0; index < count; index++)
    steps.push({ type: "text", text: `${index}`.padEnd(100, ".") }, script.pause(1));
  return steps;
}

interface Observed {
  full: boolean;
  bytes: number;
  appended: number;
  changed: number;
  /** The answer text a second connection reads right after the checkpoint. */
  stored: string;
  finishClass: string | undefined;
}

/** Wraps the store's checkpoint to record what each one wrote and what a reader then finds. */
function observe(store: SqliteTurnStore, reader: SqliteTurnStore, fail?: (call: number) => boolean) {
  const observed: Observed[] = [];
  const original = store.checkpoint.bind(store);
  let calls = 0;
  store.checkpoint = async (sessionId: string, progress: StreamProgress) => {
    if (fail?.(++calls)) throw new Error("disk full");
    const before = store.stats().bytesWritten;
    await original(sessionId, progress);
    const latest = await reader.loadLatest(sessionId);
    observed.push({
      full: progress.full,
      bytes: store.stats().bytesWritten - before,
      appended: progress.appended.reduce((sum, piece) => sum + piece.text.length, 0),
      changed: progress.changed.reduce((sum, entry) => sum + JSON.stringify(entry.block).length, 0),
      stored: latest ? assistantText(latest) : "",
      finishClass: latest ? KeyInferenceResult.get(latest)?.finishClass : undefined,
    });
  };
  return observed;
}

async function stream(store: SqliteTurnStore, steps: ScriptStep[]): Promise<Turn> {
  const builder = new EngineBuilder()
    .withBase(new ScriptedEngine(steps))
    .withPersister(store)
    .withCheckpoint({ everyMs: 5, minBytes: 150 });
  const session = new Session({ id: "s1", runner: builder });
  session.appendNewTurnFromUserPrompt("go");
  return session.startInference().wait();
}

describe("SQLite streaming checkpoints append what is new", () => {
  it("writes per checkpoint the text streamed since the previous one; a reader sees the answer so far", async () => {
    const path = dbPath();
    const store = await openSqliteTurnStore(path);
    const reader = await openSqliteTurnStore(path);
    const observed = observe(store, reader);
    const turn = await stream(store, longAnswer(300));
    const answer = assistantText(turn);
    expect(answer.length).toBe(30_000);
    const appends = observed.filter((checkpoint) => !checkpoint.full);
    expect(appends.length).toBeGreaterThanOrEqual(5);
    for (const checkpoint of appends) {
      // The new text, plus the turn's row (metadata with the inference result) and the session's: not the answer.
      expect(checkpoint.bytes).toBeLessThan(checkpoint.appended + checkpoint.changed + 1_500);
    }
    // Late checkpoints write no more than early ones although the answer so far is many times longer.
    const late = appends.filter((checkpoint) => checkpoint.stored.length > 15_000);
    expect(late.length).toBeGreaterThan(0);
    for (const checkpoint of late) expect(checkpoint.bytes - checkpoint.appended).toBeLessThan(1_500);
    let previous = 0;
    for (const checkpoint of observed) {
      expect(answer.startsWith(checkpoint.stored)).toBe(true);
      expect(checkpoint.stored.length).toBeGreaterThanOrEqual(previous);
      expect(checkpoint.finishClass).toBe("interrupted");
      previous = checkpoint.stored.length;
    }
    // The final save writes the block whole and drops its pieces.
    expect(await piecesIn(path)).toBe(0);
    expect(await reader.loadLatest("s1")).toEqual(turn);
    expect((await reader.listTurns("s1")).at(-1)?.phase).toBe("final");
    await reader.close();
    await store.close();
  });

  it("after a failed checkpoint the next one saves the whole partial answer", async () => {
    const path = dbPath();
    const store = await openSqliteTurnStore(path);
    const reader = await openSqliteTurnStore(path);
    const observed = observe(store, reader, (call) => call === 3);
    const turn = await stream(store, longAnswer(150));
    const answer = assistantText(turn);
    expect(observed.length).toBeGreaterThanOrEqual(3);
    expect(observed[0]!.full).toBe(true);
    expect(observed[1]!.full).toBe(false);
    expect(observed[2]!.full).toBe(true); // the call after the failed one
    for (const checkpoint of observed) expect(answer.startsWith(checkpoint.stored)).toBe(true);
    expect(await reader.loadLatest("s1")).toEqual(turn);
    await reader.close();
    await store.close();
  });
});
