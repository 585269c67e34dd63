/**
 * `geppetto chat` in a real terminal (tmux) against the local provider server: a rate-limited request shows its
 * retry line, an answer is rendered as Markdown and made inert (a recorded answer full of escape sequences
 * neither colors, clears, retitles nor sets the clipboard), /system, /model and /clear change what the next
 * request carries, `--attach` and `/attach` send files with a prompt, and narrowing or widening the terminal leaves no stale line. Waits poll the screen, never sleep.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../../testing/provider-server/server.ts";
import { after, shellQuote, Terminal } from "./terminal-harness.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

const ESC = "\x1b";
/** A recorded answer: Markdown, and escapes that try to color, clear the screen, retitle and set the clipboard. */
const HOSTILE_MARKDOWN = [
  "# Fruit report",
  "",
  "Some **bold** words.",
  "",
  "| Name | Qty |",
  "| --- | ---: |",
  "| apple | 3 |",
  "| kiwi fruit | 12 |",
  "",
  `Evil ${ESC}[31mred${ESC}[0m ${ESC}]0;pwned-title\x07${ESC}]52;c;cm0gLXJmIH4=\x07${ESC}[2J done.`,
  "The end.",
].join("\n");

function count(text: string, marker: string): number {
  return text.split(marker).length - 1;
}

describe.skipIf(!hasTmux)("geppetto chat: retries, Markdown, commands and resizing (tmux)", () => {
  const directory = mkdtempSync(join(tmpdir(), "geppetto-chat-commands-"));
  const terminal = new Terminal();
  let server: ProviderServer;
  beforeAll(async () => {
    server = await startProviderServer({ response: { script: { text: "Plain answer. The end." } } });
  });
  afterAll(async () => {
    terminal.kill();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  function chat(name: string, columns = 120, extra = ""): void {
    const env = {
      HOME: directory,
      XDG_CONFIG_HOME: join(directory, "config"),
      XDG_DATA_HOME: join(directory, "data"),
      OPENAI_API_KEY: "local",
      OPENAI_BASE_URL: server.baseURL("openai-chat"),
      TERM: "xterm-256color",
      PATH: process.env.PATH ?? "",
    };
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${shellQuote(value)}`);
    const db = shellQuote(join(directory, name, "sessions.db"));
    const command = `cd ${shellQuote(root)} && env -i ${assignments.join(" ")} ${shellQuote(process.execPath)} bin/geppetto.js chat --ai-api-type openai --ai-engine model-a --db ${db}${extra}; sleep 60`;
    terminal.start(command, { columns, rows: 40 });
  }

  async function ask(prompt: string, end = "The end."): Promise<string> {
    terminal.keys("-l", prompt);
    terminal.keys("Enter");
    return terminal.waitFor(
      `the answer to "${prompt}"`,
      (screen) => after(after(screen, `› ${prompt}`), end).includes("Enter to send"),
      20_000,
    );
  }

  it("shows the retry line, renders Markdown (a table aligned) and keeps a hostile answer inert", async () => {
    expect(existsSync(join(root, "dist/cli/chat/app.js")), "run `npm run build` first").toBe(true);
    server.enqueue(
      { error: { status: 429, headers: { "retry-after-ms": "10" } } },
      { script: { text: HOSTILE_MARKDOWN } },
    );
    chat("markdown");
    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    const screen = await ask("report please");
    expect(screen).toContain("openai: rate limited (HTTP 429), retrying in 10 ms (attempt 2 of 3)");
    expect(screen).toContain("Fruit report");
    expect(screen).not.toContain("# Fruit report");
    expect(screen).toContain("Some bold words.");
    expect(screen).toContain("Name       │ Qty");
    expect(screen).toContain("kiwi fruit │  12");
    // The escapes did nothing: the screen was not cleared (the prompt is still there), the title is unchanged,
    // and "red" is not red.
    expect(screen).toContain("› report please");
    expect(screen).toContain("Evil red");
    expect(terminal.title()).not.toContain("pwned");
    const colored = terminal.history(true);
    expect(colored).not.toMatch(new RegExp(`${ESC}\\[31mred`));
    expect(terminal.tmux("list-buffers")).toBe("");
  });

  it("/system and /model change the next request; /clear starts a new session", async () => {
    chat("commands");
    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    terminal.keys("-l", "/system Answer in French");
    terminal.keys("Enter");
    await terminal.waitFor("the system prompt", (screen) => screen.includes("system prompt set"));
    await ask("first");
    expect(server.requests.at(-1)?.body).toMatchObject({
      model: "model-a",
      messages: [{ role: "system", content: "Answer in French" }, { role: "user" }],
    });
    terminal.keys("-l", "/model openai:model-b");
    terminal.keys("Enter");
    await terminal.waitFor("the switch", (screen) =>
      screen.includes("the next prompts go to openai model-b"),
    );
    await ask("second");
    const second = server.requests.at(-1)?.body as { model: string; messages: unknown[] };
    expect(second.model).toBe("model-b");
    expect(second.messages).toHaveLength(4);
    terminal.keys("-l", "/clear");
    terminal.keys("Enter");
    await terminal.waitFor("the new session", (screen) => screen.includes("the conversation starts again"));
    await ask("third");
    expect(server.requests.at(-1)?.body).toMatchObject({
      model: "model-b",
      messages: [
        { role: "system", content: "Answer in French" },
        { role: "user", content: "third" },
      ],
    });
  });

  it("--attach sends a file with the first prompt, /attach one with the next (an image part)", async () => {
    const files = join(directory, "attach");
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, "notes.md"), "The sky is green\n");
    writeFileSync(join(files, "dot.png"), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    chat("attach", 120, ` --attach ${shellQuote(join(files, "notes.md"))}`);
    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    expect(terminal.screen()).toContain("attached to the first prompt:");
    await ask("first");
    const first = server.requests.at(-1)?.body as { messages: { role: string; content: unknown }[] };
    expect(JSON.stringify(first.messages.at(-1)?.content)).toContain("The sky is green");
    terminal.keys("-l", `/attach ${join(files, "dot.png")}`);
    terminal.keys("Enter");
    await terminal.waitFor("the notice", (screen) => screen.includes("attached to the next prompt:"));
    await ask("second");
    const second = server.requests.at(-1)?.body as { messages: { role: string; content: unknown }[] };
    expect(second.messages.at(-1)).toMatchObject({
      role: "user",
      content: [{ type: "text", text: "second" }, { type: "image_url" }],
    });
  });

  it("leaves no stale line when the terminal is made narrower or wider (120 → 60 → 100 → 140)", async () => {
    chat("resize");
    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    await ask("hello");
    terminal.keys("-l", "kept while resizing");
    await terminal.waitFor("the typed line", (screen) => screen.includes("> kept while resizing"));
    // The hint line under the input (85 columns) is rewrapped by the terminal into two rows at 60.
    terminal.resize(60, 40);
    const narrow = await terminal.waitFor("the redraw at 60 columns", (screen) => screen.includes("Ctrl…"));
    expect(count(narrow, "> kept while resizing")).toBe(1);
    expect(count(terminal.history(), "> kept while resizing")).toBe(1);
    terminal.resize(100, 40);
    const wide = await terminal.waitFor("the redraw at 100 columns", (screen) =>
      screen.includes("empty line exits"),
    );
    expect(count(wide, "> kept while resizing")).toBe(1);
    expect(count(wide, "Enter to send")).toBe(1);
    terminal.resize(140, 40);
    // Once the chat has the new width, a typed line of 120 columns fits on one row.
    terminal.keys("C-u");
    terminal.keys("-l", `${"x".repeat(117)}END`);
    await terminal.waitFor("the redraw at 140 columns", (screen) =>
      screen.includes(`> ${"x".repeat(117)}END`),
    );
    // Widened, the rows still to come are broken at 140 columns: a 134-column answer line stays one row.
    const words = Array.from({ length: 18 }, (_, index) => `word${String(index).padStart(2, "0")}`);
    server.respond({ script: { text: `${words.join(" ")} The end.` } });
    terminal.keys("C-u");
    await terminal.waitFor("the cleared line", (screen) => !screen.includes("END"));
    const widest = await ask("wider");
    expect(widest.split("\n").some((row) => row.includes("word00") && row.includes("word17"))).toBe(true);
    expect(count(widest, "Enter to send")).toBe(1);
    expect(count(terminal.history(), "> kept while resizing")).toBe(0);
    expect(count(terminal.history(), "› kept while resizing")).toBe(0);
  });
});
