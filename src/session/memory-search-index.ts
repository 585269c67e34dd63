/**
 * The memory store's search index: for each trigram (three UTF-16 units) of the folded block texts, the sessions
 * that saved it. A save adds the trigrams of the blocks it stored, a checkpoint those of the text it appended (with
 * the two characters before it), so indexing costs what is new. A search reads the postings of the text's
 * trigrams and checks only the sessions that hold them all, so it does not grow with what other sessions hold.
 *
 * The index may name a session that no longer holds the text (rewritten blocks are not taken out): every
 * candidate is checked against its blocks, so it only ever costs a check.
 */
import { foldCase } from "./search-text.ts";

/** The sessions of one trigram: one id (the common case) or a set. */
type Posting = string | Set<string>;

/**
 * Trigram postings over session ids.
 *
 * @example
 * const index = new SessionSearchIndex();
 * index.add("s1", "Where is my invoice?");
 * index.candidates("invoice"); // Set { "s1" }
 */
export class SessionSearchIndex {
  readonly #postings = new Map<string, Posting>();

  /** Indexes `text` (not yet folded) for `sessionId`; `before` is the text it continues (an appended piece). */
  add(sessionId: string, text: string, before = ""): void {
    const folded = foldCase(before.slice(-2) + text);
    for (let at = 0; at + 3 <= folded.length; at++) {
      const gram = folded.slice(at, at + 3);
      const posting = this.#postings.get(gram);
      if (posting === undefined) this.#postings.set(gram, sessionId);
      else if (typeof posting === "string") {
        if (posting !== sessionId) this.#postings.set(gram, new Set([posting, sessionId]));
      } else posting.add(sessionId);
    }
  }

  /** Takes `sessionId` out of the postings of `text`'s trigrams (when the session is deleted). */
  remove(sessionId: string, text: string): void {
    const folded = foldCase(text);
    for (let at = 0; at + 3 <= folded.length; at++) {
      const gram = folded.slice(at, at + 3);
      const posting = this.#postings.get(gram);
      if (posting === sessionId) this.#postings.delete(gram);
      else if (typeof posting !== "string" && posting !== undefined) {
        posting.delete(sessionId);
        if (posting.size === 1) this.#postings.set(gram, posting.values().next().value!);
      }
    }
  }

  /**
   * The sessions that may hold `needle` (folded): those in the postings of all its trigrams; undefined when the
   * needle is shorter than a trigram (the caller scans).
   */
  candidates(needle: string): Set<string> | undefined {
    if (needle.length < 3) return undefined;
    const postings: Posting[] = [];
    for (let at = 0; at + 3 <= needle.length; at++) {
      const posting = this.#postings.get(needle.slice(at, at + 3));
      if (posting === undefined) return new Set();
      postings.push(posting);
    }
    const size = (posting: Posting) => (typeof posting === "string" ? 1 : posting.size);
    postings.sort((left, right) => size(left) - size(right));
    const [smallest, ...others] = postings;
    const found = new Set<string>();
    for (const sessionId of typeof smallest === "string" ? [smallest] : smallest!) {
      const inAll = others.every((posting) =>
        typeof posting === "string" ? posting === sessionId : posting.has(sessionId),
      );
      if (inAll) found.add(sessionId);
    }
    return found;
  }
}
