/**
 * `geppetto chat` in a real terminal (tmux, 120×40) on a long answer from the local provider server: each line
 * of the answer reaches the terminal's history exactly once (no redraw floods the scrollback), and NO_COLOR
 * turns the colors off. Needs tmux (skipped with the reason when it is missing) and `npm run build` (dist/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../../testing/provider-server/server.ts";
import { after, shellQuote, Terminal } from "./terminal-harness.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

const LINES = Array.from(
  { length: 120 },
  (_, index) => `line ${String(index + 1).padStart(3, "0")} of the long answer, with a few more words`,
);
// One paragraph taller than the window on its own (about 60 rows at 120 columns).
const PARAGRAPH = Array.from({ length: 700 }, (_, index) => (index === 350 ? "MIDPARAGRAPH" : "words")).join(
  " ",
);
const ANSWER = `${LINES.join("\n")}\n\n${PARAGRAPH}\n\nThe end.`;

function count(text: string, marker: string): number {
  return text.split(marker).length - 1;
}

/** The foreground colors (SGR 30–38, 90–97) in terminal output. */
function colorCodes(text: string): string[] {
  const sgr = new RegExp(`${String.fromCharCode(27)}\\[([0-9;]*)m`, "g");
  return Array.from(text.matchAll(sgr), (match) => match[1]!)
    .flatMap((params) => params.split(";"))
    .filter((param) => /^(3[0-8]|9[0-7])$/.test(param));
}

describe.skipIf(!hasTmux)("geppetto chat on a long answer in a 120×40 terminal (tmux)", () => {
  const directory = mkdtempSync(join(tmpdir(), "geppetto-chat-screen-"));
  const terminal = new Terminal();
  let server: ProviderServer;
  beforeAll(async () => {
    server = await startProviderServer({ response: { script: { text: ANSWER } } });
  });
  afterAll(async () => {
    terminal.kill();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  function chat(name: string, extraEnv: Record<string, string> = {}, dbName = name): void {
    const env = {
      HOME: directory,
      XDG_CONFIG_HOME: join(directory, "config"),
      XDG_DATA_HOME: join(directory, "data"),
      OPENAI_API_KEY: "local",
      OPENAI_BASE_URL: server.baseURL("openai-chat"),
      TERM: "xterm-256color",
      PATH: process.env.PATH ?? "",
      ...extraEnv,
    };
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${shellQuote(value)}`);
    const db = shellQuote(join(directory, dbName, "sessions.db"));
    const command = `cd ${shellQuote(root)} && env -i ${assignments.join(" ")} ${shellQuote(process.execPath)} bin/geppetto.js chat --ai-api-type openai --ai-engine test-model --db ${db}; sleep 60`;
    terminal.start(command, { columns: 120, rows: 40 });
  }

  async function askLong(): Promise<void> {
    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    terminal.keys("-l", "a long answer please");
    terminal.keys("Enter");
    await terminal.waitFor(
      "the answer to end",
      (screen) => after(screen, "The end.").includes("Enter to send"),
      20_000,
    );
  }

  it("puts every line of an answer taller than the window into the history exactly once", async () => {
    expect(existsSync(join(root, "dist/cli/chat/app.js")), "run `npm run build` first").toBe(true);
    chat("long");
    await askLong();
    const history = terminal.history();
    expect(count(history, "› a long answer please")).toBe(1);
    for (const line of [LINES[0]!, LINES[59]!, LINES[119]!]) expect(count(history, line)).toBe(1);
    expect(count(history, "MIDPARAGRAPH")).toBe(1);
    expect(count(history, "The end.")).toBe(1);
    // Colors are on without NO_COLOR (the prompt is blue).
    expect(colorCodes(terminal.history(true)).length).toBeGreaterThan(0);
  });

  it("uses no colors with NO_COLOR set", async () => {
    chat("plain", { NO_COLOR: "1" });
    await askLong();
    expect(colorCodes(terminal.history(true))).toEqual([]);
  });

  it("edits the line (Home, typing mid-line, Ctrl-U), keeps typing during an answer, answers /commands locally, remembers prompts", async () => {
    chat("edit-1", {}, "edit");
    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    terminal.keys("-l", "world");
    terminal.keys("Home");
    terminal.keys("-l", "hello ");
    terminal.keys("Enter");
    await terminal.waitFor("the edited prompt", (screen) => screen.includes("› hello world"));
    // Typed while the answer streams: kept in the input, not sent.
    terminal.keys("-l", "/nope");
    await terminal.waitFor(
      "the answer to end with the typing kept",
      (screen) => after(screen, "The end.").includes("> /nope"),
      20_000,
    );
    terminal.keys("Enter");
    await terminal.waitFor("the local answer", (screen) => screen.includes("unknown command /nope"));
    terminal.keys("-l", "junk");
    await terminal.waitFor("the typed line", (screen) => screen.includes("> junk"));
    terminal.keys("C-u");
    await terminal.waitFor("the line cleared", (screen) => !screen.includes("> junk"));
    terminal.keys("C-d");

    // A new chat on the same store: Up brings back the prompts of the last one.
    chat("edit-2", {}, "edit");
    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    terminal.keys("Up");
    await terminal.waitFor("the last prompt", (screen) => screen.includes("> /nope"));
    terminal.keys("Up");
    await terminal.waitFor("the prompt before it", (screen) => screen.includes("> hello world"));
  });
});
