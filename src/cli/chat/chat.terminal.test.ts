/**
 * `geppetto chat` driven as a user would: the built CLI in a real terminal (tmux), a two-turn chat with a
 * cancel in the middle of the second answer, then Ctrl-D. Waits poll the screen for a condition, never a
 * fixed sleep. Needs tmux (skipped with the reason when it is missing) and `npm run build` (dist/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { turnFromDocument } from "../../turns/serialization.ts";
import type { Turn } from "../../turns/types.ts";
import { main } from "../main.ts";
import { createTestIO } from "../test-io.ts";
import { after, shellQuote, Terminal } from "./terminal-harness.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const FULL_ANSWER_END = "to talk to a real model.";

describe.skipIf(!hasTmux)("geppetto chat in a terminal (tmux)", () => {
  const directory = mkdtempSync(join(tmpdir(), "geppetto-chat-"));
  const terminal = new Terminal();
  afterAll(() => {
    terminal.kill();
    rmSync(directory, { recursive: true, force: true });
  });

  it("chats two turns, cancels the second answer mid-stream keeping it, exits 0 on Ctrl-D, stores both, resumes", async () => {
    expect(
      existsSync(join(root, "dist/cli/chat/app.js")),
      "run `npm run build` first (dist/ is missing)",
    ).toBe(true);
    const db = join(directory, "sessions.db");
    const exitFile = join(directory, "exit-code");
    const env = {
      HOME: directory,
      XDG_CONFIG_HOME: join(directory, "config"),
      XDG_DATA_HOME: join(directory, "data"),
      // The default (the OpenAI Chat engine against the local provider server): its pacing makes the cancel land
      // mid-answer.
      GEPPETTO_EMBEDDED_PACING_MS: "60",
      TERM: "xterm-256color",
      // As on a CI machine: the chat must stay interactive in a terminal even then.
      CI: "true",
      PATH: process.env.PATH ?? "",
    };
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`);
    const chat = (args: string, exitFile: string) =>
      `cd ${shellQuote(root)} && env -i ${assignments.join(" ")} ${shellQuote(process.execPath)} bin/geppetto.js chat ${args}; echo $? > ${shellQuote(exitFile)}; sleep 60`;
    terminal.start(chat(`--db ${shellQuote(db)}`, exitFile));

    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    terminal.keys("-l", "first question");
    terminal.keys("Enter");
    await terminal.waitFor("the first answer to end", (screen) =>
      after(screen, "› first question").includes("tokens"),
    );

    terminal.keys("-l", "second question");
    terminal.keys("Enter");
    await terminal.waitFor("the second answer to start streaming", (screen) =>
      after(screen, "› second question").includes('You said: "second question"'),
    );
    terminal.keys("C-c");
    const screen = await terminal.waitFor("the cancelled answer and the input line", (text) => {
      const second = after(text, "› second question");
      return second.includes("[cancelled]") && second.includes("Enter to send");
    });
    const second = after(screen, "› second question");
    expect(second).toContain('Hello! You said: "second question"');
    expect(second).not.toContain(FULL_ANSWER_END);
    expect(after(screen, "› first question")).toContain(FULL_ANSWER_END);

    terminal.keys("C-d");
    const deadline = Date.now() + 10_000;
    while (!existsSync(exitFile) || readFileSync(exitFile, "utf8").trim() === "") {
      if (Date.now() > deadline)
        throw new Error(`chat did not exit on Ctrl-D; the screen:\n${terminal.screen()}`);
      await new Promise((settle) => setTimeout(settle, 25));
    }
    expect(readFileSync(exitFile, "utf8").trim()).toBe("0");

    const io = createTestIO({ env });
    expect(await main(["sessions", "export", "--last", "--db", db], io)).toBe(0);
    const turns = parseAllDocuments(io.out).map((document) => turnFromDocument(document.toJS()));
    expect(turns).toHaveLength(2);
    const [first, last] = turns as [Turn, Turn];
    expect(KeyInferenceResult.get(first)?.finishClass).toBe("completed");
    expect(KeyInferenceResult.get(last)?.finishClass).toBe("interrupted");
    const texts = last.blocks.map(
      (block) => `${block.kind}:${"text" in block.payload ? block.payload.text : ""}`,
    );
    expect(texts[0]).toBe("user:first question");
    expect(texts[1]).toMatch(/^llm_text:.*real model\.$/);
    expect(texts[2]).toBe("user:second question");
    expect(texts[3]).toMatch(/^llm_text:Hello! You said: "second question"/);
    expect(texts[3]).not.toContain(FULL_ANSWER_END);

    // --resume shows the stored conversation, partial answer included; Ctrl-C on an empty line exits 0.
    const resumedExit = join(directory, "resumed-exit-code");
    terminal.start(chat(`--resume --db ${shellQuote(db)}`, resumedExit));
    // The transcript is printed above the input line (the first frame may show before it).
    const resumed = await terminal.waitFor("the resumed conversation", (text) =>
      after(text, "Resumed session").includes("Enter to send"),
    );
    expect(after(resumed, "Resumed session")).toMatch(
      /› first question Hello! You said: "first question".*real model\. \d+ in · \d+ out tokens .*› second question Hello! You said: "second question"\..*\[cancelled\]/,
    );
    terminal.keys("C-c");
    expect(await terminal.exitCode(resumedExit)).toBe("0");
  });
});
