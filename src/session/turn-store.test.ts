import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newAssistantTextBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import { openSqliteTurnStore, type SqliteTurnStore } from "./sqlite-turn-store.ts";
import { CorruptTurnError, MemoryTurnStore, type TurnStore } from "./turn-store.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-store-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

type Corruptible = TurnStore & { corruptForTesting(sessionId: string, turnId: string, json: string): void };

const stores: [string, () => Promise<Corruptible>][] = [
  ["MemoryTurnStore", async () => new MemoryTurnStore()],
  ["SqliteTurnStore", async () => openSqliteTurnStore(join(directory, `${crypto.randomUUID()}.db`))],
];

describe.each(stores)("%s", (_name, open) => {
  it("saves the latest state per turn, in order, and loads it validated", async () => {
    const store = await open();
    const first = newTurn([newUserTextBlock("one")]);
    const second = newTurn([newUserTextBlock("two")]);
    await store.save("s1", first, "pre_inference");
    await store.save("s1", second, "pre_inference");
    const answered = { ...first, blocks: [...first.blocks, newAssistantTextBlock("answer")] };
    await store.save("s1", answered, "post_inference");
    expect((await store.listTurns("s1")).map((info) => [info.turnId, info.position, info.phase])).toEqual([
      [first.id, 1, "post_inference"],
      [second.id, 2, "pre_inference"],
    ]);
    const loaded = await store.load("s1", first.id);
    expect(loaded?.blocks).toEqual(answered.blocks);
    expect(KeyTurnMetaSessionId.get(loaded!)).toBe("s1");
    expect(await store.load("s1", "missing")).toBeUndefined();
    expect(await store.listSessions()).toEqual(["s1"]);
    await store.close?.();
  });

  it("forks a deep copy under a new id and deletes sessions", async () => {
    const store = await open();
    const turn = newTurn([newUserTextBlock("one")]);
    await store.save("s1", turn, "final");
    const forked = await store.fork("s1", "s2");
    expect(forked).toBe("s2");
    await store.save(
      "s2",
      { ...turn, blocks: [...turn.blocks, newAssistantTextBlock("only in s2")] },
      "final",
    );
    expect((await store.loadSession("s1"))[0]!.blocks).toHaveLength(1);
    expect((await store.loadSession("s2"))[0]!.blocks).toHaveLength(2);
    expect(KeyTurnMetaSessionId.get((await store.loadSession("s2"))[0]!)).toBe("s2");
    await expect(store.fork("s1", "s2")).rejects.toThrow(/already exists/);
    await expect(store.fork("s1", "s2")).rejects.toMatchObject({
      name: "CallerError",
      code: "session_exists",
    });
    expect(await store.delete("s1")).toBe(true);
    expect(await store.delete("s1")).toBe(false);
    expect(await store.listSessions()).toEqual(["s2"]);
    await store.close?.();
  });

  it("names the session, turn and phase of a corrupt row, and what is wrong", async () => {
    const store = await open();
    const turn = newTurn([newUserTextBlock("one")]);
    await store.save("s1", turn, "post_tools");
    store.corruptForTesting(
      "s1",
      turn.id,
      '{"format":"geppetto.turn/v1","id":"x","blocks":[{"kind":"user"}]',
    );
    await expect(store.load("s1", turn.id)).rejects.toThrow(
      new RegExp(`^corrupt turn in store: session s1, turn ${turn.id}, phase post_tools: not JSON`),
    );
    store.corruptForTesting(
      "s1",
      turn.id,
      JSON.stringify({
        format: "geppetto.turn/v1",
        id: turn.id,
        blocks: [{ kind: "user" }],
        metadata: {},
        data: {},
      }),
    );
    const error = await store.loadSession("s1").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CorruptTurnError);
    expect((error as Error).message).toMatch(/phase post_tools: invalid turn: blocks\[0\]/);
    await store.close?.();
  });
});

describe("SqliteTurnStore", () => {
  it("uses WAL so a reader never sees a torn turn", async () => {
    const path = join(directory, "wal.db");
    const store: SqliteTurnStore = await openSqliteTurnStore(path);
    const { DatabaseSync } = await import("node:sqlite");
    const database = new DatabaseSync(path);
    expect(database.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    database.close();
    await store.close();
  });
});
