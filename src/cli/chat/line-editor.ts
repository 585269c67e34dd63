/**
 * The chat's input line as a value: text, a cursor, and the prompt history (Up/Down). Pure functions, so the
 * keys are tested without a terminal; the screen maps keys to them (`app.tsx`).
 *
 * Keys: Left/Right, Home/End and Ctrl-A/Ctrl-E move; Backspace deletes before the cursor; Ctrl-W deletes the
 * word before it, Ctrl-U everything before it; Up/Down walk the history (what was being typed comes back after
 * the newest entry). A paste keeps its newlines (pasted CRs become newlines).
 */

/** The input line. `cursor` counts code points (an emoji is one step). */
export interface LineState {
  chars: string[];
  cursor: number;
  /** Earlier prompts, oldest first. */
  history: readonly string[];
  /** Which history entry is shown (`history.length`: none, the line being typed). */
  historyIndex: number;
  /** The line being typed, kept while the history is shown. */
  draft: string[];
}

/**
 * An empty line with `history`.
 *
 * @example
 * let line = emptyLine(["earlier prompt"]);
 */
export function emptyLine(history: readonly string[] = []): LineState {
  return { chars: [], cursor: 0, history, historyIndex: history.length, draft: [] };
}

/** The line's text. */
export function lineText(line: LineState): string {
  return line.chars.join("");
}

/** Sets the text, cursor at its end. */
function withText(line: LineState, chars: string[]): LineState {
  return { ...line, chars, cursor: chars.length };
}

/**
 * Inserts `text` at the cursor (CRs of a paste become newlines).
 *
 * @example
 * lineText(insert(emptyLine(), "hi")) // "hi"
 */
export function insert(line: LineState, text: string): LineState {
  const added = Array.from(text.replace(/\r\n?/g, "\n"));
  const chars = [...line.chars.slice(0, line.cursor), ...added, ...line.chars.slice(line.cursor)];
  return { ...line, chars, cursor: line.cursor + added.length };
}

/** An editing key. */
export type EditKey =
  | "left"
  | "right"
  | "home"
  | "end"
  | "backspace"
  | "delete-word"
  | "delete-to-start"
  | "history-previous"
  | "history-next"
  | "clear";

/**
 * Applies an editing key.
 *
 * @example
 * lineText(edit(insert(emptyLine(), "hello world"), "delete-word")) // "hello "
 */
export function edit(line: LineState, key: EditKey): LineState {
  const { chars, cursor } = line;
  switch (key) {
    case "left":
      return { ...line, cursor: Math.max(0, cursor - 1) };
    case "right":
      return { ...line, cursor: Math.min(chars.length, cursor + 1) };
    case "home": {
      // The start of the current line of a multi-line input.
      const start = chars.lastIndexOf("\n", cursor - 1) + 1;
      return { ...line, cursor: start };
    }
    case "end": {
      const newline = chars.indexOf("\n", cursor);
      return { ...line, cursor: newline < 0 ? chars.length : newline };
    }
    case "backspace":
      if (cursor === 0) return line;
      return { ...line, chars: [...chars.slice(0, cursor - 1), ...chars.slice(cursor)], cursor: cursor - 1 };
    case "delete-word": {
      let start = cursor;
      while (start > 0 && /\s/.test(chars[start - 1]!)) start--;
      while (start > 0 && !/\s/.test(chars[start - 1]!)) start--;
      return { ...line, chars: [...chars.slice(0, start), ...chars.slice(cursor)], cursor: start };
    }
    case "delete-to-start":
      return { ...line, chars: chars.slice(cursor), cursor: 0 };
    case "clear":
      return { ...line, chars: [], cursor: 0, historyIndex: line.history.length, draft: [] };
    case "history-previous": {
      if (line.historyIndex === 0) return line;
      const draft = line.historyIndex === line.history.length ? chars : line.draft;
      const index = line.historyIndex - 1;
      return { ...withText(line, Array.from(line.history[index]!)), historyIndex: index, draft };
    }
    case "history-next": {
      if (line.historyIndex >= line.history.length) return line;
      const index = line.historyIndex + 1;
      const next = index === line.history.length ? line.draft : Array.from(line.history[index]!);
      return { ...withText(line, next), historyIndex: index };
    }
  }
}

/**
 * The line after sending it: empty, with `sent` at the end of the history (unless blank or a repeat).
 *
 * @example
 * sent(insert(emptyLine(), "hi")).history // ["hi"]
 */
export function sent(line: LineState): LineState {
  const text = lineText(line).trim();
  const history = text === "" || line.history.at(-1) === text ? line.history : [...line.history, text];
  return emptyLine(history);
}

/**
 * The line split at the cursor, for drawing it: before, the character under the cursor (a space at the end),
 * and after.
 *
 * @example
 * splitAtCursor(edit(insert(emptyLine(), "abc"), "left")) // ["ab", "c", ""]
 */
export function splitAtCursor(line: LineState): [string, string, string] {
  const under = line.chars[line.cursor];
  const before = line.chars.slice(0, line.cursor).join("");
  if (under === undefined) return [before, " ", ""];
  // A cursor on a newline is drawn as a space before it.
  if (under === "\n") return [before, " ", line.chars.slice(line.cursor).join("")];
  return [before, under, line.chars.slice(line.cursor + 1).join("")];
}
