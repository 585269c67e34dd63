import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { KeyInferenceResult } from "../engine/engine.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { turnFromDocument } from "../turns/serialization.ts";
import { engineSessionBackend } from "./chat/session-backend.ts";
import { main } from "./main.ts";
import { openSessionDb, sessionDbPath } from "./session-db.ts";
import { createTestIO } from "./test-io.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-sessions-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let count = 0;
function freshDb(): string {
  return join(directory, `sessions-${++count}.db`);
}

/** Stores a chat of `prompts` (one turn each) under a new session; returns the session id. */
async function storeChat(db: string, prompts: string[], answers: string[]): Promise<string> {
  const store = await openSessionDb(db);
  const engine = new ScriptedEngine(
    answers.map((answer) => [...script.text(answer), script.usage({ inputTokens: 5, outputTokens: 2 })]),
  );
  const backend = engineSessionBackend(engine, { persister: store.turns });
  for (const prompt of prompts) await backend.start(prompt, () => {}).done;
  await store.close();
  return backend.sessionId;
}

describe("geppetto sessions", () => {
  it("list shows every session, most recent first, with its turns and first prompt", async () => {
    const db = freshDb();
    const older = await storeChat(db, ["first chat"], ["one"]);
    const newer = await storeChat(db, ["second chat", "and more"], ["two", "three"]);
    const io = createTestIO();
    expect(await main(["sessions", "list", "--db", db], io)).toBe(0);
    const lines = io.out.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${newer}  2 turns  \\S+  second chat$`));
    expect(lines[1]).toMatch(new RegExp(`^${older}  1 turn   \\S+  first chat$`));

    const json = createTestIO();
    expect(await main(["sessions", "list", "--db", db, "--output", "json"], json)).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject([
      { sessionId: newer, turnCount: 2, firstPrompt: "second chat" },
      {},
    ]);
  });

  it("list on an empty store says so on stderr; GEPPETTO_DB chooses the store", async () => {
    const db = freshDb();
    const io = createTestIO({ env: { GEPPETTO_DB: db } });
    expect(await main(["sessions", "list"], io)).toBe(0);
    expect(io.out).toBe("");
    expect(io.err).toBe(`no sessions in ${db}\n`);
  });

  it("show prints each turn's new messages with its outcome", async () => {
    const db = freshDb();
    const id = await storeChat(db, ["Hello", "Again"], ["Hi!", "Hi again!"]);
    const io = createTestIO();
    expect(await main(["sessions", "show", id, "--db", db], io)).toBe(0);
    expect(io.out).toMatch(
      new RegExp(
        `^session ${id} \\(2 turns\\)\\n\\nturn 1 \\S+ · completed · scripted\\n  user: Hello\\n  assistant: Hi!\\n\\n` +
          "turn 2 \\S+ · completed · scripted\\n  user: Again\\n  assistant: Hi again!\\n$",
      ),
    );
  });

  it("export writes one YAML document per turn that loads back as Turns; --output json an array", async () => {
    const db = freshDb();
    const id = await storeChat(db, ["Hello", "Again"], ["Hi!", "Hi again!"]);
    const io = createTestIO();
    expect(await main(["sessions", "export", "--last", "--db", db], io)).toBe(0);
    const turns = parseAllDocuments(io.out).map((document) => turnFromDocument(document.toJS()));
    expect(turns.map((turn) => turn.blocks.length)).toEqual([2, 4]);
    expect(KeyInferenceResult.get(turns[1]!)).toMatchObject({
      finishClass: "completed",
      usage: { inputTokens: 5 },
    });

    const json = createTestIO();
    expect(await main(["sessions", "export", id, "--db", db, "-o", "json"], json)).toBe(0);
    const documents = JSON.parse(json.out) as unknown[];
    expect(documents.map((document) => turnFromDocument(document))).toEqual(turns);
  });

  it("an unknown session is an error naming it and the store (exit 1)", async () => {
    const db = freshDb();
    const io = createTestIO();
    expect(await main(["sessions", "show", "nope", "--db", db], io)).toBe(1);
    expect(io.err).toBe(`geppetto sessions: no session "nope" in ${db} (see \`geppetto sessions list\`)\n`);
    const last = createTestIO();
    expect(await main(["sessions", "export", "--last", "--db", db], last)).toBe(1);
    expect(last.err).toBe(`geppetto sessions: no sessions in ${db}\n`);
  });

  it("bad usage exits 2 with the reason; --help shows examples", async () => {
    const cases: [string[], RegExp][] = [
      [["sessions"], /say what to do: list, show, export/],
      [
        ["sessions", "drop"],
        /unknown subcommand "drop" \(expected one of list, show, export, delete, search\)/,
      ],
      [["sessions", "show"], /give one session ID/],
      [["sessions", "show", "a", "--last"], /give a session ID or --last, not both/],
      [["sessions", "list", "--output", "xml"], /--output must be one of text, json/],
      [["sessions", "list", "--bogus"], /unknown option --bogus \(see --help\)/],
    ];
    for (const [argv, message] of cases) {
      const io = createTestIO();
      expect(await main([...argv, "--db", freshDb()], io), argv.join(" ")).toBe(2);
      expect(io.err).toMatch(message);
    }
    const help = createTestIO();
    expect(await main(["sessions", "--help"], help)).toBe(0);
    expect(help.out).toMatch(/Examples:\n {2}geppetto sessions list/);
  });

  it("the store lives under XDG_DATA_HOME by default", () => {
    expect(sessionDbPath(undefined, { XDG_DATA_HOME: "/data" })).toBe("/data/geppetto/sessions.db");
    expect(sessionDbPath(undefined, { HOME: "/home/ada" })).toBe(
      "/home/ada/.local/share/geppetto/sessions.db",
    );
    expect(sessionDbPath(undefined, { GEPPETTO_DB: "/x.db", XDG_DATA_HOME: "/data" })).toBe("/x.db");
    expect(sessionDbPath("/flag.db", { GEPPETTO_DB: "/x.db" })).toBe("/flag.db");
  });
});
