/**
 * The chat with piped input runs the same slash commands as the terminal chat (one command table, one controller),
 * and `chat --attach` / `/attach` send files with a prompt as `run --attach` does: text fenced, images, PDFs.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { embeddedDefaultText } from "../../testing/embedded-default.ts";
import type { Turn } from "../../turns/types.ts";
import { main } from "../main.ts";
import { openSessionDb } from "../session-db.ts";
import { createTestIO } from "../test-io.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-chat-piped-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let count = 0;
/** A clean environment (no provider, no config files) with its own folder and session store. */
function setup(stdin: string) {
  const home = join(directory, `home-${++count}`);
  mkdirSync(home);
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
  };
  return { home, db: join(home, "sessions.db"), io: createTestIO({ env, stdin, cwd: home }) };
}

async function storedTurns(db: string): Promise<Turn[]> {
  const store = await openSessionDb(db);
  const [session] = await store.listSessions();
  const turns = await store.listTurns(session!.sessionId);
  await store.close();
  return turns;
}

function userBlocks(turn: Turn) {
  return turn.blocks.filter((block) => block.kind === "user").map((block) => block.payload);
}

describe("geppetto chat with piped input", () => {
  it("answers slash commands locally (on stderr), never sending them to the model, and /exit ends it", async () => {
    const { home, db, io } = setup(
      "Hello\n/bogus\n/system Be brief\n/system\n/save talk.md\n/retry\n/help\n/exit\nNever sent\n",
    );
    expect(await main(["chat", "--db", db], io)).toBe(0);
    const answers = io.out.trim().split("\n");
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^Hello! You said: "Hello"\./);
    expect(answers[1]).toMatch(/^Hello! You said: "Hello"\./);
    expect(io.err).toContain("unknown command /bogus: not sent to the model; /help lists the commands\n");
    expect(io.err).toContain("system prompt set for the next prompts\nsystem prompt: Be brief\n");
    expect(io.err).toContain(`saved the conversation to ${join(home, "talk.md")}\n`);
    expect(io.err).toMatch(/^\/attach FILE {3}send FILE with the next prompt/m);
    expect(readFileSync(join(home, "talk.md"), "utf8")).toMatch(/^> Hello\n\nHello! You said/);
    const turns = await storedTurns(db);
    expect(turns).toHaveLength(2);
    const last = turns.at(-1)!;
    expect(userBlocks(last).map((payload) => (payload as { text: string }).text)).toEqual(["Hello", "Hello"]);
    expect(last.blocks.find((block) => block.kind === "system")?.payload).toEqual({ text: "Be brief" });
  });

  it("/copy with no terminal says it cannot copy and writes no escape; with stderr a terminal, OSC 52 goes there", async () => {
    const piped = setup("Hello\n/copy\n");
    expect(await main(["chat", "--db", piped.db], piped.io)).toBe(0);
    expect(piped.io.err).toContain(
      "/copy: cannot copy without a terminal (the clipboard is reached through the terminal, OSC 52); /save FILE writes the conversation to a file\n",
    );
    expect(piped.io.err + piped.io.out).not.toContain("\x1b");

    const terminal = setup("Hello\n/copy\n");
    (terminal.io.stderr as { isTTY?: boolean }).isTTY = true;
    expect(await main(["chat", "--db", terminal.db], terminal.io)).toBe(0);
    const answer = embeddedDefaultText("Hello");
    expect(terminal.io.err).toContain(
      `\x1b]52;c;${Buffer.from(answer).toString("base64")}\x07copied the last answer (${answer.length} characters) to the clipboard\n`,
    );
    expect(terminal.io.out).not.toContain("\x1b");
  });

  it("--attach sends files with the first prompt; /attach with the next; /retry sends them again", async () => {
    const { home, db, io } = setup("Summarize\nAnd now?\n/attach dot.png\nLook\n/retry\n");
    writeFileSync(join(home, "notes.md"), "The sky is green\n");
    writeFileSync(join(home, "dot.png"), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(await main(["chat", "--db", db, "--attach", "notes.md"], io)).toBe(0);
    expect(io.err).toContain("attached to the first prompt: notes.md\n");
    expect(io.err).toContain("attached to the next prompt: dot.png\n");
    expect(io.out).toContain('You said: "Summarize\n\nnotes.md:\n```\nThe sky is green\n```"');
    const users = userBlocks((await storedTurns(db)).at(-1)!);
    expect(users).toHaveLength(4);
    expect(users[0]).toEqual({ text: "Summarize\n\nnotes.md:\n```\nThe sky is green\n```" });
    expect(users[1]).toEqual({ text: "And now?" });
    for (const look of [users[2], users[3]])
      expect(look).toMatchObject({ text: "Look", images: [{ mediaType: "image/png" }] });
  });

  it("attaches a PDF as a document; a file that cannot be attached is bad usage, or a notice for /attach", async () => {
    const { home, db, io } = setup("/attach nope.txt\n/attach paper.pdf\nRead it\n");
    writeFileSync(join(home, "paper.pdf"), "%PDF-1.4\n%%EOF\n", "latin1");
    expect(await main(["chat", "--db", db], io)).toBe(0);
    expect(io.err).toContain(`/attach nope.txt: cannot read ${join(home, "nope.txt")}: no such file\n`);
    const [user] = (await storedTurns(db)).at(-1)!.blocks;
    expect(user?.payload).toMatchObject({
      text: "Read it",
      documents: [{ mediaType: "application/pdf", filename: "paper.pdf" }],
    });

    const bad = setup("Hello\n");
    expect(await main(["chat", "--db", bad.db, "--attach", "missing.md"], bad.io)).toBe(2);
    expect(bad.io.err).toBe(
      `geppetto chat: --attach missing.md: cannot read ${join(bad.home, "missing.md")}: no such file\n`,
    );
    expect(existsSync(bad.db)).toBe(false);
  });
});
