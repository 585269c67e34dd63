import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqliteTurnStore } from "../session/sqlite-turn-store.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { openSessionDb } from "./session-db.ts";
import { createTestIO } from "./test-io.ts";

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "geppetto-run-session-"));
  const env = {
    HOME: root,
    XDG_CONFIG_HOME: join(root, "config"),
    XDG_DATA_HOME: join(root, "data"),
    GEPPETTO_NO_LOCAL_SERVER: "1",
  };
  return { root, db: join(root, "sessions.db"), io: () => createTestIO({ env, cwd: root }) };
}

describe("geppetto run --session", () => {
  it("continues a stored session and saves the answer to it", async () => {
    const box = sandbox();
    const store = await openSessionDb(box.db);
    await store.saveTurn("s1", newTurn([newUserTextBlock("First question")]));
    await store.close();

    const io = box.io();
    expect(await main(["run", "--session", "s1", "--db", box.db, "--output", "json", "Second"], io)).toBe(0);
    const turn = turnFromJson(io.out);
    expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "user", "llm_text"]);
    expect(turn.blocks[1]).toMatchObject({ payload: { text: "Second" } });
    expect(io.err).toContain(`saved to session s1 (${box.db})`);

    const reopened = await openSessionDb(box.db);
    const turns = await reopened.listTurns("s1");
    await reopened.close();
    expect(turns).toHaveLength(2);
    expect(turns.at(-1)?.id).toBe(turn.id);
  });

  it("an unknown session, or --system with --session, is bad usage", async () => {
    const box = sandbox();
    const unknown = box.io();
    expect(await main(["run", "--session", "nope", "--db", box.db, "Hi"], unknown)).toBe(2);
    expect(unknown.err).toMatch(/no session "nope"/);
    const both = box.io();
    expect(await main(["run", "--session", "x", "--system", "Be brief", "Hi"], both)).toBe(2);
    expect(both.err).toMatch(/cannot be combined with --session/);
  });

  it("a stored session with a corrupt turn fails with exit 1, naming the session and turn", async () => {
    const box = sandbox();
    const store = await openSessionDb(box.db);
    const turn = newTurn([newUserTextBlock("First question")]);
    await store.saveTurn("s1", turn);
    await store.close();
    const sqlite = await openSqliteTurnStore(box.db);
    sqlite.corruptForTesting("s1", turn.id, "{not json");
    await sqlite.close();

    const io = box.io();
    expect(await main(["run", "--session", "s1", "--db", box.db, "Second"], io)).toBe(1);
    expect(io.err).toContain("session s1");
    expect(io.err).toContain(`turn ${turn.id}`);
  });
});
