import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { main } from "../main.ts";
import { openSessionDb } from "../session-db.ts";
import { createTestIO } from "../test-io.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-chat-command-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let count = 0;
/** A clean environment (no provider, no config files) with its own session store. */
function setup(): { db: string; env: Record<string, string> } {
  const home = join(directory, `home-${++count}`);
  return {
    db: join(home, "sessions.db"),
    env: { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local/share") },
  };
}

describe("geppetto chat (command)", () => {
  it("--help explains the keys and shows examples", async () => {
    const io = createTestIO();
    expect(await main(["chat", "--help"], io)).toBe(0);
    expect(io.out).toMatch(/Ctrl-C +Cancel the answer being written/);
    expect(io.out).toMatch(/Examples:\n {2}geppetto chat /);
    expect(io.err).toBe("");
  });

  it("bad usage exits 2 with the reason", async () => {
    const cases: [string[], RegExp][] = [
      [["chat", "Hello"], /chat takes no arguments \(got "Hello"\)/],
      [["chat", "--resume", "--session", "x"], /use --resume or --session, not both/],
      [["chat", "--bogus"], /unknown option --bogus \(see --help\)/],
      [["chat", "--tools", "kitchen"], /--tools: unknown tool set "kitchen" \(known: demo\)/],
    ];
    for (const [argv, message] of cases) {
      const io = createTestIO({ env: setup().env });
      expect(await main(argv, io), argv.join(" ")).toBe(2);
      expect(io.err).toMatch(message);
    }
  });

  it("--resume with no stored session, or an unknown --session, exits 1 naming the store", async () => {
    const { db, env } = setup();
    const resume = createTestIO({ env });
    expect(await main(["chat", "--resume", "--db", db], resume)).toBe(1);
    expect(resume.err).toBe(`geppetto chat: no session to resume in ${db}\n`);
    const unknown = createTestIO({ env: { ...env, GEPPETTO_DB: db } });
    expect(await main(["chat", "--session", "nope"], unknown)).toBe(1);
    expect(unknown.err).toBe(`geppetto chat: no session "nope" in ${db} (see \`geppetto sessions list\`)\n`);
  });

  it("with piped input answers each line, stores each turn, and --resume continues the session", async () => {
    const { db, env } = setup();
    const io = createTestIO({ env, stdin: "Hello\n\nAgain\n" });
    expect(await main(["chat", "--db", db], io)).toBe(0);
    const answers = io.out.trim().split("\n");
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^Hello! You said: "Hello"\..*real model\.$/);
    expect(answers[1]).toMatch(/^Hello! You said: "Again"\./);
    expect(io.err).toMatch(/^New session \S+ \(/m);

    const more = createTestIO({ env: { ...env, GEPPETTO_DB: db }, stdin: "Third\n" });
    expect(await main(["chat", "--resume"], more)).toBe(0);
    expect(more.err).toMatch(/^Resumed session \S+/m);
    const store = await openSessionDb(db);
    const [session] = await store.listSessions();
    const turns = await store.listTurns(session!.sessionId);
    await store.close();
    expect(turns).toHaveLength(3);
    expect(turns[2]!.blocks.map((block) => block.kind)).toEqual([
      "user",
      "llm_text",
      "user",
      "llm_text",
      "user",
      "llm_text",
    ]);
  });

  it("Ctrl-C with piped input cancels the answer being written, keeps it in the store, and exits 130", async () => {
    const { db, env } = setup();
    const io = createTestIO({
      // The default (the OpenAI Chat engine against the local provider server), paced so Ctrl-C lands mid-answer.
      env: { ...env, GEPPETTO_EMBEDDED_PACING_MS: "5" },
      stdin: "Hello\nNever sent\n",
    });
    let interrupted = false;
    io.onStdout(() => {
      if (!interrupted && io.out.includes("You said")) {
        interrupted = true;
        io.interrupt();
      }
    });
    expect(await main(["chat", "--db", db], io)).toBe(130);
    expect(io.out).not.toMatch(/real model\./);
    expect(io.err).toMatch(/\[cancelled\]/);
    const store = await openSessionDb(db);
    const [session] = await store.listSessions();
    const turns = await store.listTurns(session!.sessionId);
    await store.close();
    expect(turns).toHaveLength(1);
    expect(KeyInferenceResult.get(turns[0]!)?.finishClass).toBe("interrupted");
  });

  it("--tools demo runs the tool loop: tool calls and results on stderr, the answer on stdout", async () => {
    const { db, env } = setup();
    const io = createTestIO({ env, stdin: "what is 6 * 7?\n" });
    expect(await main(["chat", "--tools", "demo", "--db", db], io)).toBe(0);
    expect(io.err).toMatch(/⚙ calculator\(\{"expression":"6 \* 7"\}\)\n↳ calculator: .*"result":42/);
    expect(io.out).toMatch(/42/);
  });
});
