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

/** How far an answer has moved to the scrollback: whole parts, then characters of the next part. */
export interface Flushed {
  parts: number;
  chars: number;
}

/** Pending text longer than this moves to the scrollback at a word break even without a newline. */
export const DEFAULT_FLUSH_CHARS = 2_000;

/**
 * Moves what is final in `answer` (complete lines, finished parts; everything when `all`) to scroll items.
 * Returns the items and the new flushed position; `nextId` numbers the items.
 *
 * @example
 * const { items, flushed } = flushAnswer(answer, { parts: 0, chars: 0 }, false, 2000, () => "s1");
 */
export function flushAnswer(
  answer: AnswerMessage,
  from: Flushed,
  all: boolean,
  flushChars: number,
  nextId: () => string,
): { items: ScrollItem[]; flushed: Flushed } {
  const items: ScrollItem[] = [];
  let { parts, chars } = from;
  while (parts < answer.parts.length) {
    const part = answer.parts[parts]!;
    const last = parts === answer.parts.length - 1;
    if (part.kind === "tool-call" || part.kind === "tool-result") {
      items.push({ kind: "part", id: nextId(), part });
      parts++;
      chars = 0;
      continue;
    }
    let end = part.text.length;
    if (last && !all) {
      const newline = part.text.lastIndexOf("\n");
      end = newline >= chars ? newline + 1 : chars;
      if (part.text.length - end > flushChars) {
        const space = part.text.lastIndexOf(" ", part.text.length - 1);
        if (space > end) end = space + 1;
      }
    }
    if (end > chars) {
      const text = part.text.slice(chars, end).replace(/\n$/, "");
      items.push({ kind: "lines", id: nextId(), style: part.kind, text });
    }
    if (!last || all) {
      parts++;
      chars = 0;
    } else {
      chars = end;
      break;
    }
  }
  return { items, flushed: { parts, chars } };
}

/**
 * The part of `answer` still on the live screen (not yet in the scrollback).
 *
 * @example
 * unflushedParts(answer, state.flushed) // [{ kind: "text", text: "the line being writ" }]
 */
export function unflushedParts(answer: AnswerMessage, flushed: Flushed): AnswerPart[] {
  const rest = answer.parts.slice(flushed.parts);
  const first = rest[0];
  if (first && flushed.chars > 0 && (first.kind === "text" || first.kind === "thinking")) {
    rest[0] = { kind: first.kind, text: first.text.slice(flushed.chars) };
  }
  return rest;
}
