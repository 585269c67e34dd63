/**
 * The chat's scrollback: what has been printed for good, above the live part of the screen.
 *
 * An answer taller than the window must not be redrawn (every redraw of an overflowing frame pushes another
 * copy into the terminal's history), so the streamed answer moves to the scrollback line by line as its lines
 * complete, and a long line row by row as its screen rows fill: only the row being written (and the spinner
 * and input) is redrawn, so a frame costs the same on the 10th token and the 10,000th. The scrollback is an
 * {@link AppendOnlyList}, so adding a line costs the line, not the length of the conversation.
 */
import type { AnswerMessage, AnswerPart, ChatMessage } from "./view-model.ts";

/**
 * An append-only list whose versions share one array: `append` returns a new version (the old one still sees
 * its own items), at the cost of what is added. The printer reads what was added with `slice`.
 *
 * @example
 * const one = AppendOnlyList.empty<string>().append("a");
 * const two = one.append("b"); // one.length 1, two.slice() ["a", "b"]
 */
export class AppendOnlyList<T> {
  readonly #items: T[];
  /** How many items this version holds. */
  readonly length: number;

  private constructor(items: T[]) {
    this.#items = items;
    this.length = items.length;
  }

  /** An empty list. */
  static empty<T>(): AppendOnlyList<T> {
    return new AppendOnlyList<T>([]);
  }

  /** A new version with `added` at the end (this version is unchanged). */
  append(...added: T[]): AppendOnlyList<T> {
    if (added.length === 0) return this;
    // A version appended to after a later version exists gets its own copy (never happens in the chat).
    const items = this.#items.length === this.length ? this.#items : this.#items.slice(0, this.length);
    items.push(...added);
    return new AppendOnlyList(items);
  }

  /** The items from `start` to `end` (default: the end of this version), as a new array. */
  slice(start = 0, end = this.length): T[] {
    return this.#items.slice(start, Math.min(end, this.length));
  }

  /** The item at `index` (negative counts from the end). */
  at(index: number): T | undefined {
    const position = index < 0 ? this.length + index : index;
    return position >= 0 && position < this.length ? this.#items[position] : undefined;
  }
}

/** One entry of the scrollback: a whole message, finished lines of an answer, or an answer's closing line. */
export type ScrollItem =
  | { kind: "message"; id: string; message: ChatMessage }
  | {
      kind: "lines";
      id: string;
      style: "text" | "thinking";
      text: string;
      /** The last line is one screen row of a longer line, whose rest comes with a later item. */
      continued?: true;
    }
  | { kind: "part"; id: string; part: Extract<AnswerPart, { kind: "tool-call" | "tool-result" }> }
  | { kind: "end"; id: string; answer: AnswerMessage };

/** The screen width used when the terminal does not say (columns). */
export const DEFAULT_COLUMNS = 80;

/** East Asian wide and fullwidth characters, and emoji shown as pictures: two columns each. */
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]/u;

/**
 * How many columns `text` takes on a terminal (one per code point, two for wide characters; combining marks
 * are rare enough in answers to count one).
 *
 * @example
 * displayWidth("héllo") // 5; displayWidth("日本") // 4
 */
export function displayWidth(text: string): number {
  if (!MAYBE_WIDE.test(text)) return text.length;
  let width = 0;
  for (const char of text) width += char.charCodeAt(0) < 0x1100 ? 1 : WIDE.test(char) ? 2 : 1;
  return width;
}

/** Characters that may take two columns (or are surrogate pairs); text without them is one column a unit. */
const MAYBE_WIDE = /[\u1100-\uFFFF]/;

/** Whether `text` is wider than `columns`: a length check, and a scan only for text with wide characters. */
function wider(text: string, columns: number): boolean {
  if (text.length > columns) return !MAYBE_WIDE.test(text) || displayWidth(text) > columns;
  return text.length * 2 > columns && MAYBE_WIDE.test(text) && displayWidth(text) > columns;
}

/**
 * Where the first screen row of `text` (wider than `columns`) ends, as Ink wraps it: after the last space that
 * fits, or inside a word longer than the row. Returns the row's end and where the next row starts.
 */
function rowBreak(text: string, columns: number): [number, number] {
  let width = 0;
  let space = -1;
  let index = 0;
  for (const char of text) {
    const next = width + (char.charCodeAt(0) < 0x1100 ? 1 : WIDE.test(char) ? 2 : 1);
    if (next > columns) break;
    if (char === " ") space = index;
    width = next;
    index += char.length;
  }
  return space > 0 ? [space, space + 1] : [index, index];
}

/**
 * Moves what is final of the live part of an answer (complete lines, finished parts; everything when `all`) to
 * scroll items. A line being written that is wider than the screen moves row by row, broken where Ink would
 * wrap it (at a space), so the live part is at most one screen row and a redraw costs a row, not a paragraph.
 * Returns the items, the moved pieces (as parts, for the transcript) and the parts still live.
 *
 * @example
 * const { items, moved, live } = flushParts(current.parts, false, 120, () => "s1");
 */
export function flushParts(
  parts: readonly AnswerPart[],
  all: boolean,
  columns: number,
  nextId: () => string,
): { items: ScrollItem[]; moved: AnswerPart[]; live: AnswerPart[] } {
  const items: ScrollItem[] = [];
  const moved: AnswerPart[] = [];
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    const last = index === parts.length - 1;
    if (part.kind === "tool-call" || part.kind === "tool-result") {
      items.push({ kind: "part", id: nextId(), part });
      moved.push(part);
      continue;
    }
    const line = (text: string, continued = false) =>
      items.push({
        kind: "lines",
        id: nextId(),
        style: part.kind,
        text: text === "" ? " " : text,
        ...(continued ? { continued: true as const } : {}),
      });
    if (!last || all) {
      if (part.text !== "") {
        line(part.text.replace(/\n$/, ""));
        moved.push(part);
      }
      continue;
    }
    // The live line: complete lines go at once, then whole screen rows of the line being written.
    let end = part.text.lastIndexOf("\n") + 1;
    if (end > 0) line(part.text.slice(0, end - 1));
    let rest = part.text.slice(end);
    while (wider(rest, columns)) {
      const [rowEnd, nextStart] = rowBreak(rest, columns);
      if (nextStart === 0) break;
      line(rest.slice(0, rowEnd), true);
      end += nextStart;
      rest = rest.slice(nextStart);
    }
    if (end > 0) moved.push({ kind: part.kind, text: part.text.slice(0, end) });
    return { items, moved, live: [{ kind: part.kind, text: rest }] };
  }
  return { items, moved, live: [] };
}

/**
 * `text`'s screen rows at `columns`: its lines, each broken where Ink would wrap it (at the last space that fits,
 * inside a word longer than a row).
 *
 * @example
 * rowsOf("aaaa bbbb cccc", 10) // ["aaaa bbbb", "cccc"]
 */
export function rowsOf(text: string, columns: number): string[] {
  const rows: string[] = [];
  for (const line of text.split("\n")) {
    let rest = line;
    while (columns > 0 && wider(rest, columns)) {
      const [rowEnd, nextStart] = rowBreak(rest, columns);
      rows.push(rest.slice(0, rowEnd));
      rest = rest.slice(Math.max(nextStart, 1));
    }
    rows.push(rest);
  }
  return rows;
}

/** Whether the live line (the last part's text) is wider than the screen and has rows to move. */
export function overflowsRow(text: string, columns: number): boolean {
  return wider(text, columns);
}

/**
 * Parts as one list, runs of text (or of reasoning) pieces joined back into one part.
 *
 * @example
 * joinParts([{ kind: "text", text: "a\n" }, { kind: "text", text: "b" }]) // [{ kind: "text", text: "a\nb" }]
 */
export function joinParts(pieces: readonly AnswerPart[]): AnswerPart[] {
  const parts: AnswerPart[] = [];
  let run: string[] = [];
  let runKind: "text" | "thinking" | undefined;
  const close = () => {
    if (runKind !== undefined) parts.push({ kind: runKind, text: run.join("") });
    run = [];
    runKind = undefined;
  };
  for (const piece of pieces) {
    if (piece.kind === "text" || piece.kind === "thinking") {
      if (runKind !== piece.kind) close();
      runKind = piece.kind;
      if (piece.text !== "") run.push(piece.text);
    } else {
      close();
      parts.push(piece);
    }
  }
  close();
  return parts.filter((part) => !((part.kind === "text" || part.kind === "thinking") && part.text === ""));
}
