/**
 * Drives the built CLI in a real terminal for tests: a tmux server of our own, its screen and history read back.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

/** A tmux server of our own (its own socket), so the test never touches the user's sessions. */
export class Terminal {
  readonly socket = `geppetto-test-${process.pid}-${Date.now()}`;

  tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
  }

  #session = 0;

  /** Starts `command` in a new tmux session (the previous one is left as it is). */
  start(command: string, size: { columns: number; rows: number } = { columns: 110, rows: 50 }): void {
    this.#session++;
    const { columns, rows } = size;
    this.tmux(
      "new-session",
      "-d",
      "-s",
      `chat${this.#session}`,
      "-x",
      `${columns}`,
      "-y",
      `${rows}`,
      command,
    );
  }

  /** The whole history of the pane and its screen, lines joined (`-J`), colors kept when `escapes`. */
  history(escapes = false): string {
    const flags = escapes ? ["-e"] : [];
    return this.tmux(
      "capture-pane",
      "-p",
      "-J",
      ...flags,
      "-S",
      "-",
      "-E",
      "-",
      "-t",
      `chat${this.#session}`,
    );
  }

  screen(): string {
    return this.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", `chat${this.#session}`);
  }

  /** Resizes the current session's window (as a user dragging the terminal's edge). */
  resize(columns: number, rows: number): void {
    this.tmux("resize-window", "-t", `chat${this.#session}`, "-x", `${columns}`, "-y", `${rows}`);
  }

  /** The current pane's title (what an escape sequence may have set). */
  title(): string {
    return this.tmux("display-message", "-p", "-t", `chat${this.#session}`, "#{pane_title}");
  }

  keys(...keys: string[]): void {
    this.tmux("send-keys", "-t", `chat${this.#session}`, ...keys);
  }

  /** Polls the screen until `condition` holds; fails with the screen after `timeoutMs`. */
  async waitFor(what: string, condition: (screen: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (condition(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
      await new Promise((settle) => setTimeout(settle, 25));
    }
  }

  /** Waits for `file` (where the command writes its exit code) and returns the code. */
  async exitCode(file: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(file) || readFileSync(file, "utf8").trim() === "") {
      if (Date.now() > deadline) throw new Error(`the command did not exit; the screen:\n${this.screen()}`);
      await new Promise((settle) => setTimeout(settle, 25));
    }
    return readFileSync(file, "utf8").trim();
  }

  kill(): void {
    spawnSync("tmux", ["-L", this.socket, "kill-server"]);
  }
}

/** The text after the last `marker`, with runs of white space (Ink's line wrapping) as one space. */
export function after(screen: string, marker: string): string {
  const flat = screen.replace(/\s+/g, " ");
  const index = flat.lastIndexOf(marker);
  return index < 0 ? "" : flat.slice(index + marker.length);
}

export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
