/**
 * An incremental JSON parser for answers that are still streaming: text goes in piece by piece, and the value
 * built so far (a deep-partial object) is always readable. Each character is looked at once, so parsing a
 * whole answer costs time linear in its length however it is cut (re-parsing the text so far on every piece,
 * as a prefix parser does, is quadratic).
 *
 * The value is built in place: `value` is the same object throughout, growing (a string being written appears
 * with what has arrived of it; a number or literal appears once it is complete). Leading text before the
 * first `{` or `[` (a Markdown fence, say) and anything after the document are ignored.
 */

type Container = Record<string, unknown> | unknown[];

interface Frame {
  container: Container;
  /** Objects: the key whose value is being read; undefined while a key is expected. */
  key: string | undefined;
  /** What comes next in this container. */
  expect: "key_or_end" | "key" | "colon" | "value" | "value_or_end" | "comma_or_end";
  /** True for the array whose completed elements are reported (see `onElement`). */
  reportsElements: boolean;
}

/**
 * Options of {@link IncrementalJsonParser}.
 *
 * @example
 * new IncrementalJsonParser({ elementsKey: "elements", onElement: (city, index) => show(index, city) });
 */
export interface IncrementalJsonOptions {
  /**
   * The key of a top-level array whose elements are reported as each one completes (`"elements"` reports the
   * items of `{ "elements": [...] }`), through `onElement`.
   */
  elementsKey?: string;
  onElement?: (element: unknown, index: number) => void;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Parses JSON as it arrives.
 *
 * @example
 * const parser = new IncrementalJsonParser();
 * parser.push('{"name": "Ada", "tags": ["ma');
 * parser.value // { name: "Ada", tags: ["ma"] }
 * parser.push('th"]}');
 * parser.done // true
 */
export class IncrementalJsonParser {
  /** The value so far (undefined before the document starts). */
  value: unknown;
  /** True once the top-level value is complete. */
  done = false;
  /** Set by a caller that caught a SyntaxError from `push` (the parser keeps no state after one). */
  broken = false;
  readonly #stack: Frame[] = [];
  readonly #options: IncrementalJsonOptions;
  #started = false;
  /** Inside a string: its text so far, whether it is a key, and a pending escape. */
  #string: string | undefined;
  #stringIsKey = false;
  #escape: string | undefined;
  /** A number or literal being read. */
  #scalar: string | undefined;
  #elementCount = 0;

  constructor(options: IncrementalJsonOptions = {}) {
    this.#options = options;
  }

  /**
   * Feeds the next piece of text. Returns true when the value changed. Throws a SyntaxError naming the offset
   * on text that cannot be JSON.
   */
  push(text: string): boolean {
    let changed = false;
    let index = 0;
    const length = text.length;
    while (index < length && !this.done) {
      if (this.#string !== undefined) {
        index = this.#readString(text, index);
        if (!this.#stringIsKey) changed = true;
        continue;
      }
      const character = text[index]!;
      if (this.#scalar !== undefined) {
        if (/[0-9a-zA-Z.+-]/.test(character)) {
          this.#scalar += character;
          index++;
          continue;
        }
        this.#endScalar();
        changed = true;
        continue;
      }
      index++;
      if (character === " " || character === "\n" || character === "\r" || character === "\t") continue;
      if (!this.#started) {
        if (character !== "{" && character !== "[") continue;
        this.#started = true;
      }
      if (this.#structural(character)) changed = true;
    }
    return changed;
  }

  /** Ends the input: a number still being read at the very end is committed (a bare top-level number). */
  end(): void {
    if (this.#scalar !== undefined) this.#endScalar();
  }

  #readString(text: string, start: number): number {
    let index = start;
    let piece = "";
    while (index < text.length) {
      if (this.#escape !== undefined) {
        this.#escape += text[index]!;
        index++;
        const sequence = this.#escape;
        if (sequence[0] === "u") {
          if (sequence.length < 5) continue;
          piece += String.fromCharCode(Number.parseInt(sequence.slice(1), 16));
        } else {
          const replacement = ESCAPES[sequence];
          if (replacement === undefined)
            throw new SyntaxError(`invalid escape "\\${sequence}" in JSON string`);
          piece += replacement;
        }
        this.#escape = undefined;
        continue;
      }
      const quote = text.indexOf('"', index);
      const backslash = text.indexOf("\\", index);
      const stop = quote < 0 ? backslash : backslash < 0 ? quote : Math.min(quote, backslash);
      if (stop < 0) {
        piece += text.slice(index);
        index = text.length;
        break;
      }
      piece += text.slice(index, stop);
      index = stop + 1;
      if (stop === backslash) {
        this.#escape = "";
        continue;
      }
      this.#string += piece;
      const value = this.#string!;
      this.#string = undefined;
      if (this.#stringIsKey) {
        const frame = this.#stack.at(-1)!;
        frame.key = value;
        frame.expect = "colon";
      } else this.#completeValue(value);
      return index;
    }
    this.#string += piece;
    if (!this.#stringIsKey) this.#place(this.#string);
    return index;
  }

  #endScalar(): void {
    const text = this.#scalar!;
    this.#scalar = undefined;
    let value: unknown;
    if (text === "true") value = true;
    else if (text === "false") value = false;
    else if (text === "null") value = null;
    else {
      value = Number(text);
      if (text.length === 0 || Number.isNaN(value)) throw new SyntaxError(`invalid JSON value "${text}"`);
    }
    this.#completeValue(value);
  }

  /** Handles one non-space character outside strings and scalars; true when the value changed. */
  #structural(character: string): boolean {
    const frame = this.#stack.at(-1);
    if (frame && (frame.expect === "key_or_end" || frame.expect === "key")) {
      if (character === '"') {
        this.#string = "";
        this.#stringIsKey = true;
        return false;
      }
      if (character === "}" && frame.expect === "key_or_end") return this.#close();
      throw new SyntaxError(`expected a key in a JSON object, got "${character}"`);
    }
    if (frame?.expect === "colon") {
      if (character !== ":") throw new SyntaxError(`expected ":" after a JSON key, got "${character}"`);
      frame.expect = "value";
      return false;
    }
    if (frame?.expect === "comma_or_end") {
      if (character === ",") {
        frame.expect = Array.isArray(frame.container) ? "value" : "key";
        return false;
      }
      if (character === (Array.isArray(frame.container) ? "]" : "}")) return this.#close();
      throw new SyntaxError(`expected "," or the end of a JSON container, got "${character}"`);
    }
    if (character === "]" && frame?.expect === "value_or_end") return this.#close();
    return this.#beginValue(character);
  }

  #beginValue(character: string): boolean {
    if (character === "{" || character === "[") {
      const container: Container = character === "{" ? {} : [];
      const parent = this.#stack.at(-1);
      const reportsElements =
        character === "[" &&
        this.#options.elementsKey !== undefined &&
        this.#stack.length === 1 &&
        parent !== undefined &&
        !Array.isArray(parent.container) &&
        parent.key === this.#options.elementsKey;
      this.#place(container);
      this.#stack.push({
        container,
        key: undefined,
        expect: character === "{" ? "key_or_end" : "value_or_end",
        reportsElements,
      });
      return true;
    }
    if (character === '"') {
      this.#string = "";
      this.#stringIsKey = false;
      this.#place("");
      return true;
    }
    if (/[-0-9tfn]/.test(character)) {
      this.#scalar = character;
      return false;
    }
    throw new SyntaxError(`unexpected "${character}" where a JSON value should start`);
  }

  /** Puts a value (maybe still growing) in the open container's current slot. */
  #place(value: unknown): void {
    const frame = this.#stack.at(-1);
    if (!frame) {
      this.value = value;
      return;
    }
    if (Array.isArray(frame.container)) {
      if (frame.expect === "value" || frame.expect === "value_or_end") {
        frame.container.push(value);
        frame.expect = "comma_or_end";
      } else frame.container[frame.container.length - 1] = value;
      return;
    }
    const key = frame.key!;
    // A "__proto__" key is an own property, as JSON.parse makes it (assigning it would set the prototype).
    if (key === "__proto__") {
      Object.defineProperty(frame.container, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else frame.container[key] = value;
    frame.expect = "comma_or_end";
  }

  /** A string, number or literal is complete. */
  #completeValue(value: unknown): void {
    this.#place(value);
    this.#finishSlot(value);
  }

  /** The current slot of the open container holds a complete value. */
  #finishSlot(value: unknown): void {
    const frame = this.#stack.at(-1);
    if (!frame) {
      this.done = true;
      return;
    }
    if (frame.reportsElements) this.#options.onElement?.(value, this.#elementCount++);
  }

  #close(): boolean {
    const closed = this.#stack.pop()!;
    this.#finishSlot(closed.container);
    return true;
  }
}
