/**
 * The chat's prompt history, kept between chats: one JSON string per line in
 * `$XDG_DATA_HOME/geppetto/chat-history.jsonl` (next to the session store), the newest 1,000 prompts.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** How many prompts are kept. */
export const HISTORY_LIMIT = 1_000;

/**
 * The history file next to the session store `dbPath`.
 *
 * @example
 * historyPath("/data/geppetto/sessions.db") // "/data/geppetto/chat-history.jsonl"
 */
export function historyPath(dbPath: string): string {
  return join(dirname(dbPath), "chat-history.jsonl");
}

/**
 * The stored prompts, oldest first (unreadable lines skipped; a missing file is an empty history).
 *
 * @example
 * const history = readHistory(historyPath(dbPath));
 */
export function readHistory(path: string): string[] {
  if (!existsSync(path)) return [];
  const prompts: string[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      const prompt: unknown = JSON.parse(line);
      if (typeof prompt === "string") prompts.push(prompt);
    } catch {
      // A line cut short by a crash: skipped.
    }
  }
  return prompts.slice(-HISTORY_LIMIT);
}

/**
 * Appends a prompt; rewrites the file to the newest {@link HISTORY_LIMIT} when it has grown to twice that.
 *
 * @example
 * appendHistory(historyPath(dbPath), "Hello");
 */
export function appendHistory(path: string, prompt: string): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify(prompt)}\n`);
  const text = readFileSync(path, "utf8");
  let lines = 0;
  for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1)) lines++;
  if (lines >= 2 * HISTORY_LIMIT) {
    writeFileSync(
      path,
      readHistory(path)
        .map((entry) => `${JSON.stringify(entry)}\n`)
        .join(""),
    );
  }
}
