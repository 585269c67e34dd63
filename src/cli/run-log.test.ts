/**
 * Every `geppetto run` is kept in the session store unless --no-log; -c continues the last one, --session takes
 * any unique prefix; `sessions search` finds a conversation by its text and `sessions delete` removes one.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { openSessionDb } from "./session-db.ts";
import { createTestIO } from "./test-io.ts";

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "geppetto-run-log-"));
  const env = { HOME: root, XDG_CONFIG_HOME: join(root, "config"), XDG_DATA_HOME: join(root, "data") };
  const db = join(root, "data", "geppetto", "sessions.db");
  const sessions = async () => {
    const io = createTestIO({ env });
    expect(await main(["sessions", "list", "--output", "json"], io)).toBe(0);
    return JSON.parse(io.out) as { sessionId: string; turnCount: number }[];
  };
  return { env, db, sessions, io: (stdin?: string) => createTestIO({ env, ...(stdin ? { stdin } : {}) }) };
}

describe("run is logged", () => {
  it("keeps each run, continues the last with -c, skips with --no-log", async () => {
    const box = sandbox();
    expect(await main(["run", "Write a haiku"], box.io())).toBe(0);
    expect(await box.sessions()).toMatchObject([{ turnCount: 1 }]);

    const again = box.io();
    expect(await main(["run", "-c", "-o", "json", "And another"], again)).toBe(0);
    const turn = turnFromJson(again.out);
    expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "llm_text", "user", "llm_text"]);
    expect(await box.sessions()).toMatchObject([{ turnCount: 2 }]);

    expect(await main(["run", "--no-log", "Not kept"], box.io())).toBe(0);
    expect(await box.sessions()).toHaveLength(1);
  });

  it("--session takes a unique prefix; an ambiguous one names the candidates", async () => {
    const box = sandbox();
    const store = await openSessionDb(box.db);
    await store.saveTurn("abc-111", newTurn([newUserTextBlock("one")]));
    await store.saveTurn("abc-222", newTurn([newUserTextBlock("two")]));
    await store.close();
    const io = box.io();
    expect(await main(["run", "--session", "abc-1", "-o", "json", "More"], io)).toBe(0);
    expect(turnFromJson(io.out).blocks[0]).toMatchObject({ payload: { text: "one" } });
    expect(io.err).toContain("saved to session abc-111");
    const ambiguous = box.io();
    expect(await main(["run", "--session", "abc", "More"], ambiguous)).toBe(2);
    expect(ambiguous.err).toContain('session id "abc" is ambiguous');
    expect(ambiguous.err).toContain("abc-111, abc-222");
  });

  it("sessions search finds a conversation by its text; sessions delete removes it by prefix", async () => {
    const box = sandbox();
    expect(await main(["run", "Tell me about Zanzibar"], box.io())).toBe(0);
    expect(await main(["run", "Something else"], box.io())).toBe(0);
    const [newest, oldest] = (await box.sessions()).map((session) => session.sessionId);
    const search = box.io();
    expect(await main(["sessions", "search", "zanzibar"], search)).toBe(0);
    expect(search.out.trim().split("\n")).toHaveLength(1);
    expect(search.out).toContain(oldest!);
    expect(search.out).toContain("Zanzibar");

    const removed = box.io();
    expect(await main(["sessions", "delete", oldest!.slice(0, 8)], removed)).toBe(0);
    expect(removed.err).toContain(`deleted session ${oldest}`);
    expect((await box.sessions()).map((session) => session.sessionId)).toEqual([newest]);
  });
});
