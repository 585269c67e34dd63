/**
 * The chat's scrollback: what has been printed for good, above the live part of the screen.
 *
 * An answer taller than the window must not be redrawn (every redraw of an overflowing frame pushes another
 * copy into the terminal's history), so the streamed answer moves to the scrollback line by line as its lines
 * complete: only the line being written (and the spinner and input) is redrawn. The scrollback is an
 * {@link AppendOnlyList}, so adding a line costs the line, not the length of the conversation.
 */
import type { AnswerMessage, AnswerPart, ChatMessage } from "./view-model.ts";

/**
 * An append-only list whose versions share one array: `append` returns a new version (the old one still sees
 * its own items), at the cost of what is added. It offers the `length` and `slice` Ink's `<Static>` reads.
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
  | { kind: "lines"; id: string; style: "text" | "thinking"; text: string }
  | { kind: "part"; id: string; part: Extract<AnswerPart, { kind: "tool-call" | "tool-result" }> }
  | { kind: "end"; id: string; answer: AnswerMessage };

/** Pending text longer than this moves to the scrollback at a word break even without a newline. */
export const DEFAULT_FLUSH_CHARS = 2_000;

/**
 * Moves what is final of the live part of an answer (complete lines, finished parts; everything when `all`) to
 * scroll items. Returns the items, the moved pieces (as parts, for the transcript) and the parts still live.
 * The work is the live part's length (a line), never the answer's.
 *
 * @example
 * const { items, moved, live } = flushParts(current.parts, false, 2000, () => "s1");
 */
export function flushParts(
  parts: readonly AnswerPart[],
  all: boolean,
  flushChars: number,
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
    let end = part.text.length;
    if (last && !all) {
      end = part.text.lastIndexOf("\n") + 1;
      if (part.text.length - end > flushChars) {
        const space = part.text.lastIndexOf(" ");
        if (space >= end) end = space + 1;
      }
    }
    if (end > 0) {
      const text = part.text.slice(0, end);
      const shown = text.replace(/\n$/, "");
      items.push({ kind: "lines", id: nextId(), style: part.kind, text: shown === "" ? " " : shown });
      moved.push({ kind: part.kind, text });
    }
    if (last && !all) return { items, moved, live: [{ kind: part.kind, text: part.text.slice(end) }] };
  }
  return { items, moved, live: [] };
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
