import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
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

describe("PostgresTimelineStore", () => {
  it("applies frames in memory, writes them, and another instance hydrates the same state", async () => {
    const url = await freshDatabase();
    const [one, two] = [await openPostgresTimelineStore({ url }), await openPostgresTimelineStore({ url })];
    await one.createConversation("c1", "Hello there");
    one.apply("c1", {
      type: "user.message",
      id: "user:1",
      kind: "user",
      status: "done",
      text: "Hello there",
    });
    one.apply("c1", { type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" });
    const delta = one.apply("c1", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "Hi" });
    expect(delta.seq).toBe(3);
    expect(one.streaming("c1").map((entity) => entity.id)).toEqual(["msg:1"]);
    expect((await two.snapshot("c1", 0)).version).toBeLessThan(3); // the streamed delta is written shortly after
    await one.flush();
    const snapshot = await two.snapshot("c1", 0);
    expect(snapshot.version).toBe(3);
    expect(snapshot.entities.map((entity) => [entity.id, entity.status, entity.text])).toEqual([
      ["user:1", "done", "Hello there"],
      ["msg:1", "streaming", "Hi"],
    ]);
    expect((await two.snapshot("c1", 2)).entities.map((entity) => entity.id)).toEqual(["msg:1"]);
    // The other instance follows the stream from frames it is handed (relayed), without writing them.
    await two.prepare("c1");
    two.observe({ type: "llm.delta", id: "msg:1", kind: "assistant", append: " you", seq: 4, convId: "c1" });
    expect(two.entity("c1", "msg:1")?.text).toBe("Hi you");
    expect((await one.snapshot("c1")).version).toBe(3);
    expect((await two.unfinished("c1")).map((entity) => entity.text)).toEqual(["Hi you"]);
    expect((await two.listConversations()).map((summary) => [summary.convId, summary.title])).toEqual([
      ["c1", "Hello there"],
    ]);
    await expect(two.snapshot("nope")).rejects.toThrow(/no web chat conversation "nope"/);
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
