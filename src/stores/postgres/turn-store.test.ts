import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { StoreSchemaError } from "../../session/sqlite-schema.ts";
import { describeTurnStoreContract } from "../../session/store-contract.ts";
import { freePort } from "../../transports/test-servers.ts";
import { newAssistantTextBlock, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { migrateSchema, StoreConnectionError } from "./connection.ts";
import { startTestPostgres, type TestPostgres } from "./test-server.ts";
import { openPostgresTurnStore, TURNS_MIGRATIONS } from "./turn-store.ts";

let server: Promise<TestPostgres> | undefined;
const cluster = () => (server ??= startTestPostgres());
afterAll(async () => (await server)?.dispose());

/** A new, empty database on the test cluster; returns its URL. */
async function freshDatabase(): Promise<string> {
  const { url } = await cluster();
  const name = `geppetto_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  return url.replace(/\/postgres$/, `/${name}`);
}

describeTurnStoreContract("PostgresTurnStore", {
  sharedAcrossProcesses: true,
  async place() {
    const url = await freshDatabase();
    return {
      spec: url,
      open: () => openPostgresTurnStore({ url }),
      async corruptBlock(sessionId, _turnId, blockIndex) {
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        await sql`UPDATE geppetto_blocks SET block_json = ${JSON.stringify({ id: "x", kind: "llm_text", payload: {} })}
          WHERE block_index = ${blockIndex}
            AND session_ref = (SELECT ref FROM geppetto_sessions WHERE session_id = ${sessionId})`;
        await sql.end();
      },
    };
  },
});

describe("PostgresTurnStore", () => {
  it("two instances opening one new database at once migrate it once", async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresTurnStore({ url })));
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    expect(await sql`SELECT component, version FROM geppetto_schema_log ORDER BY version`).toEqual([
      { component: "turns", version: 1 },
      { component: "turns", version: 2 },
      { component: "turns", version: 3 },
      { component: "turns", version: 4 },
    ]);
    // The test cluster is UTF-8 (initdb -E UTF8); search folds case in JavaScript whatever its collation.
    expect(await sql`SHOW server_encoding`).toEqual([{ server_encoding: "UTF8" }]);
    await sql.end();
    await Promise.all(stores.map((store) => store.close()));
  });

  it("runs only the migrations a database lacks, in order, and refuses a newer one unchanged", async () => {
    const url = await freshDatabase();
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    const v1 = "CREATE TABLE widgets (id INTEGER PRIMARY KEY)";
    const v2 = "ALTER TABLE widgets ADD COLUMN name TEXT NOT NULL DEFAULT 'unnamed'";
    expect(await migrateSchema(sql, "widgets", [v1], "the test database")).toBe(0);
    await sql`INSERT INTO widgets (id) VALUES (1)`;
    expect(await migrateSchema(sql, "widgets", [v1, v2], "the test database")).toBe(1);
    expect(await sql`SELECT id, name FROM widgets`).toEqual([{ id: 1, name: "unnamed" }]);
    const error = await migrateSchema(sql, "widgets", [v1], "the test database").catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreSchemaError);
    expect((error as Error).message).toBe(
      "the test database was written by a newer geppetto (widgets schema version 2); this geppetto reads versions up to 1: upgrade geppetto to open it",
    );
    const broken = await migrateSchema(
      sql,
      "widgets",
      [v1, v2, "ALTER TABLE nowhere ADD COLUMN x INT"],
      "db",
    ).catch((caught: unknown) => caught);
    expect((broken as Error).message).toMatch(
      /^cannot migrate db \(widgets\) to schema version 3 \(nothing was changed\)/,
    );
    expect(await sql`SELECT version FROM geppetto_schema WHERE component = 'widgets'`).toEqual([
      { version: 2 },
    ]);
    await sql.end();
    expect(TURNS_MIGRATIONS).toHaveLength(4);
  });

  it("a version-1 database gets the trigram index and folded search text on open; its rows are found through it", async () => {
    const url = await freshDatabase();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await migrateSchema(sql, "turns", TURNS_MIGRATIONS.slice(0, 1), "the test database");
    const turn = newTurn([
      newUserTextBlock("hello"),
      newAssistantTextBlock("The INVOICE is attached, ÉCOLE"),
    ]);
    const [created] = await sql<{ ref: string }[]>`
      INSERT INTO geppetto_sessions (session_id, turn_count, title) VALUES ('old', 1, 'hello') RETURNING ref`;
    const ref = created!.ref;
    await sql`INSERT INTO geppetto_turns VALUES (${ref}, 1, ${turn.id}, 'final', now(), 2, '{}', '{}')`;
    for (const [index, block] of turn.blocks.entries()) {
      await sql`INSERT INTO geppetto_blocks VALUES (${ref}, ${index}, 1, ${JSON.stringify(block)},
        ${(block.payload as { text: string }).text})`;
    }
    const store = await openPostgresTurnStore({ url });
    expect((await store.searchSessions("invoice")).map((hit) => hit.excerpt)).toEqual([
      "The INVOICE is attached, ÉCOLE",
    ]);
    expect((await store.searchSessions("école")).map((hit) => hit.sessionId)).toEqual(["old"]);
    expect(await sql`SELECT search_text FROM geppetto_blocks WHERE block_index = 1`).toEqual([
      { search_text: "the invoice is attached, école" },
    ]);
    await store.save("new", newTurn([newUserTextBlock("another invoice")]), "final");
    expect(
      await sql`SELECT indexname FROM pg_indexes WHERE indexname = 'geppetto_blocks_search'`,
    ).toHaveLength(1);
    const plan = await sql.begin(async (transaction) => {
      await transaction`SET LOCAL enable_seqscan = off`;
      return transaction.unsafe(
        "EXPLAIN SELECT session_ref FROM geppetto_blocks WHERE search_text LIKE '%invoice%'",
      );
    });
    expect(JSON.stringify(plan)).toContain("geppetto_blocks_search");
    await sql.end();
    await store.close();
  });

  it("names an unreachable server with its password redacted", async () => {
    const url = `postgres://app:hunter2-secret@127.0.0.1:${await freePort()}/app`;
    const error = await openPostgresTurnStore({ url }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreConnectionError);
    expect((error as Error).message).toMatch(
      /^cannot reach PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/app: /,
    );
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain("hunter2");
  });
});
