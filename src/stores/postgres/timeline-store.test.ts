import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { describeTimelineStoreContract } from "../../webchat/timeline-contract.ts";
import { openPostgresStateStore, STATE_MIGRATIONS } from "./state-store.ts";
import { startTestPostgres, type TestPostgres } from "./test-server.ts";
import { openPostgresTimelineStore, TIMELINE_MIGRATIONS } from "./timeline-store.ts";
import { openPostgresTurnStore, TURNS_MIGRATIONS } from "./turn-store.ts";

let server: Promise<TestPostgres> | undefined;
const cluster = () => (server ??= startTestPostgres());
afterAll(async () => (await server)?.dispose());

async function freshDatabase(): Promise<string> {
  const { url } = await cluster();
  const name = `timeline_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  return url.replace(/\/postgres$/, `/${name}`);
}

describeTimelineStoreContract("PostgresTimelineStore", {
  async place() {
    const url = await freshDatabase();
    return {
      spec: url,
      open: () => openPostgresTimelineStore({ url }),
      async corruptEntity(convId, entityId, column, value) {
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        await sql`UPDATE webchat_entities SET ${sql(column)} = ${value}
          WHERE conv_id = ${convId} AND entity_id = ${entityId}`;
        await sql.end();
      },
    };
  },
});

describe("PostgresTimelineStore", () => {
  it("writes streamed changes shortly after, and another instance follows relayed frames without writing them", async () => {
    const url = await freshDatabase();
    const [one, two] = [await openPostgresTimelineStore({ url }), await openPostgresTimelineStore({ url })];
    await one.createConversation("c1", "Hello there");
    one.apply("c1", { type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" });
    one.apply("c1", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "Hi" });
    expect((await two.snapshot("c1", 0)).version).toBeLessThan(2); // the streamed delta is written shortly after
    await one.flush();
    expect((await two.snapshot("c1", 0)).version).toBe(2);
    await two.prepare("c1");
    two.observe({ type: "llm.delta", id: "msg:1", kind: "assistant", append: " you", seq: 3, convId: "c1" });
    two.observe({
      type: "llm.delta",
      id: "msg:1",
      kind: "assistant",
      append: " (again)",
      seq: 3,
      convId: "c1",
    });
    expect(two.entity("c1", "msg:1")?.text).toBe("Hi you");
    expect((await one.snapshot("c1")).version).toBe(2);
    expect((await two.unfinished("c1")).map((entity) => entity.text)).toEqual(["Hi you"]);
    await one.close();
    await two.close();
  });

  it("lets one instance at a time run a conversation, and hands an expired lease to one taker", async () => {
    const url = await freshDatabase();
    const [one, two] = [await openPostgresTimelineStore({ url }), await openPostgresTimelineStore({ url })];
    expect(await one.runs.claim("c1", "A", 60_000)).toBe(true);
    expect(await two.runs.claim("c1", "B", 60_000)).toBe(false);
    expect(await two.runs.heldElsewhere("c1", "B")).toBe(true);
    expect(await one.runs.heldElsewhere("c1", "A")).toBe(false);
    await one.runs.end("c1", "A");
    expect(await two.runs.claim("c1", "B", 1)).toBe(true);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql`UPDATE webchat_runs SET expires_at = now() - interval '1 second'`;
    await sql.end();
    const taken = await Promise.all([one.runs.takeExpired(), two.runs.takeExpired()]);
    expect(taken.flat()).toEqual(["c1"]);
    expect(await one.runs.claim("c1", "A", 60_000)).toBe(true);
    await one.close();
    await two.close();
  });

  it("keeps its schema version beside the turn and state stores', each migrated once by instances opening at once", async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([
      openPostgresTimelineStore({ url }),
      openPostgresTimelineStore({ url }),
      openPostgresTurnStore({ url }),
      openPostgresStateStore({ url }),
      openPostgresStateStore({ url }),
    ]);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    expect(await sql`SELECT component, version FROM geppetto_schema ORDER BY component`).toEqual([
      { component: "states", version: STATE_MIGRATIONS.length },
      { component: "timeline", version: TIMELINE_MIGRATIONS.length },
      { component: "turns", version: TURNS_MIGRATIONS.length },
    ]);
    expect((await sql`SELECT count(*)::int AS runs FROM geppetto_schema_log`)[0]).toEqual({
      runs: STATE_MIGRATIONS.length + TIMELINE_MIGRATIONS.length + TURNS_MIGRATIONS.length,
    });
    await sql.end();
    await Promise.all(stores.map((store) => store.close()));
  });
});
