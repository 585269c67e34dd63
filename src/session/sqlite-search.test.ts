import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newAssistantTextBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { STORE_SCHEMA_VERSION } from "./sqlite-schema.ts";
import { openSqliteTurnStore } from "./sqlite-turn-store.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-sqlite-search-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Written by schema version 4 (an index over the raw text, by triggers): two sessions, one with non-ASCII text. */
const V4_FIXTURE = new URL("./__fixtures__/sessions-v4.db", import.meta.url);

describe("SQLite search over case-folded text (schema 5)", () => {
  it("migrates a version-4 database (frozen fixture): its rows are indexed folded, found in any case, and it continues", async () => {
    const path = join(directory, "v4.db");
    copyFileSync(V4_FIXTURE, path);
    const store = await openSqliteTurnStore(path);
    expect(store.migratedFrom).toBe(4);
    const found = async (text: string) => (await store.searchSessions(text)).map((hit) => hit.sessionId);
    expect(await found("l'école")).toEqual(["4a4a4a4a-v4-unicode"]);
    expect(await found("HAUPTSTRASSE")).toEqual(["4a4a4a4a-v4-unicode"]);
    expect(await found("σίσυφος")).toEqual(["4a4a4a4a-v4-unicode"]);
    expect(await found("привет")).toEqual(["4a4a4a4a-v4-unicode"]);
    expect(await found("INVOICE")).toEqual(["5b5b5b5b-v4-plain"]);
    expect((await store.loadSession("5b5b5b5b-v4-plain")).map((turn) => turn.blocks.length)).toEqual([2]);
    await store.save("5b5b5b5b-v4-plain", newTurn([newUserTextBlock("Ещё вопрос")]), "final");
    expect(await found("ЕЩЁ")).toEqual(["5b5b5b5b-v4-plain"]);
    await store.close();
    const { DatabaseSync } = await import("node:sqlite");
    const database = new DatabaseSync(path);
    expect(database.prepare("PRAGMA user_version").get()).toEqual({ user_version: STORE_SCHEMA_VERSION });
    // The old triggers are gone: another SQLite client writes the tables without any geppetto function.
    expect(database.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()).toEqual([]);
    database.prepare("UPDATE geppetto_blocks SET block_json = block_json").run();
    database.close();
  });

  it("keeps the index in step with rewritten, shrunk, forked and deleted blocks", async () => {
    const store = await openSqliteTurnStore(join(directory, "steps.db"));
    const found = async (text: string) => (await store.searchSessions(text)).map((hit) => hit.sessionId);
    const turn = newTurn([newUserTextBlock("Ölfeld"), newAssistantTextBlock("ÜBERSICHT")]);
    await store.save("s", turn, "streaming");
    await store.save("s", { ...turn, blocks: [turn.blocks[0]!] }, "final");
    expect(await found("übersicht")).toEqual([]);
    await store.fork("s", "copy");
    expect((await found("ÖLFELD")).sort()).toEqual(["copy", "s"]);
    await store.delete("s");
    expect(await found("ölfeld")).toEqual(["copy"]);
    const { DatabaseSync } = await import("node:sqlite");
    await store.close();
    const database = new DatabaseSync(join(directory, "steps.db"));
    const indexed = database.prepare("SELECT count(*) AS rows FROM geppetto_search").get() as {
      rows: number;
    };
    const blocks = database.prepare("SELECT count(*) AS rows FROM geppetto_blocks").get() as { rows: number };
    expect(indexed.rows).toBe(blocks.rows);
    database.close();
  });
});
