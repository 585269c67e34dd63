/**
 * Assembles a function call's arguments streamed as JSON-path pieces (Gemini's `partialArgs`: `{jsonPath,
 * stringValue | numberValue | boolValue | nullValue, willContinue}`) into an object, and turns the progress into JSON text
 * deltas for `tool-call-arguments-delta` events.
 *
 * The deltas are prefixes of the final `JSON.stringify(args)`: joined, they give exactly the final argument
 * text when the values arrive in document order (what Gemini does). If a value arrives out of order the deltas
 * pause and the rest is emitted when the call ends; the assembled object is right either way.
 *
 * The hot path is linear: the next piece of the string being streamed costs one escape check and one append;
 * a new path in document order costs its own length (the assembler keeps the containers open in the emitted
 * text, so it never re-serializes the object); only unusual streams (values out of order, integer-like object
 * keys, arguments given up front) fall back to comparing whole serializations.
 */
import type { JsonObject, JsonValue } from "../turns/json.ts";

/**
 * One streamed piece of a call's arguments: a value at a JSON path (Gemini `streamFunctionCallArguments`).
 *
 * @example
 * const piece: PartialArg = { jsonPath: "$.location", stringValue: "Os", willContinue: true };
 */
export interface PartialArg {
  /** Where the value goes, e.g. `$.location` or `$.items[0].name`. */
  jsonPath: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: JsonValue;
  /** More of this value follows (strings arrive in pieces). */
  willContinue?: boolean;
}

/** Characters JSON.stringify escapes inside a string (surrogates: lone ones are escaped). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const SEGMENT = /\.([^.[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/y;

/**
 * Splits a JSON path (`$.a.b[0]`, `$['a b']`) into keys and indexes. Throws a SyntaxError naming the path.
 *
 * @example
 * parseJsonPath("$.items[0].name") // ["items", 0, "name"]
 */
export function parseJsonPath(path: string): (string | number)[] {
  if (!path.startsWith("$"))
    throw new SyntaxError(`partialArgs jsonPath ${JSON.stringify(path)} must start with $`);
  const segments: (string | number)[] = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < path.length) {
    const match = SEGMENT.exec(path);
    if (!match) throw new SyntaxError(`partialArgs jsonPath ${JSON.stringify(path)} is not understood`);
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[3] ?? match[4] ?? "").replace(/\\(.)/g, "$1"));
  }
  return segments;
}

function partialValue(partial: PartialArg): JsonValue | undefined {
  if (partial.stringValue !== undefined) return partial.stringValue;
  if (partial.numberValue !== undefined) return partial.numberValue;
  if (partial.boolValue !== undefined) return partial.boolValue;
  if ("nullValue" in partial) return null;
  return undefined;
}

/** A container open in the emitted text (its closer not yet written). */
interface OpenContainer {
  value: JsonObject | JsonValue[];
  /** Members written so far (a comma goes before the next one). */
  members: number;
}

/** Integer-like keys: JSON.stringify writes them first in an object, not in insertion order. */
const INDEX_LIKE = /^(?:0|[1-9]\d*)$/;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function escapeString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

function setMember(
  container: Record<string | number, JsonValue>,
  key: string | number,
  value: JsonValue,
): void {
  if (key === "__proto__") {
    Object.defineProperty(container, key, { value, writable: true, enumerable: true, configurable: true });
  } else container[key] = value;
}

/**
 * Builds one call's arguments. Linear in the argument size: a string streamed in pieces (`willContinue`) costs
 * one escape per piece, and a new path in document order costs only its own text.
 *
 * @example
 * const assembler = new PartialArgsAssembler();
 * assembler.apply({ jsonPath: "$.city", stringValue: "Bos", willContinue: true }); // '{"city":"Bos'
 * assembler.apply({ jsonPath: "$.city", stringValue: "ton" }); // 'ton"'
 * assembler.finish(); // { text: '{"city":"Boston"}', rest: "}" }
 */
export class PartialArgsAssembler {
  readonly args: JsonObject = {};
  /** All deltas so far (a rope; read only when falling back to whole serializations). */
  #emitted = "";
  #emittedLength = 0;
  #inOrder = true;
  /** True while the emitted text is tracked structurally (`#stack`); false after a fallback. */
  #tracked = true;
  /** The containers open in the emitted text, root first, and the keys leading to each one after the root. */
  readonly #stack: OpenContainer[] = [];
  readonly #stackPath: (string | number)[] = [];
  /** The string left open at the end of the emitted text: its path and where it lives. */
  #open: { path: string; container: Record<string | number, JsonValue>; key: string | number } | undefined;
  /** A high surrogate held back from the open string until its pair arrives. */
  #heldSurrogate = "";

  /** Applies one partial argument (strings append to what the path holds). Returns the new JSON text, if any. */
  apply(partial: PartialArg): string {
    const open = this.#open;
    const piece = partial.stringValue;
    if (open !== undefined && piece !== undefined && open.path === partial.jsonPath) {
      // Fast path: the next piece of the string being streamed.
      open.container[open.key] = (open.container[open.key] as string) + piece;
      const more = partial.willContinue === true;
      if (!more) this.#open = undefined;
      return this.#emit(this.#stringText(piece, more));
    }
    const path = parseJsonPath(partial.jsonPath);
    const value = partialValue(partial);
    if (path.length === 0 || value === undefined) return "";
    if (this.#tracked) {
      const delta = this.#appendInOrder(partial.jsonPath, path, value, partial.willContinue === true);
      if (delta !== undefined) return delta;
      this.#untrack();
    }
    return this.#applyAnywhere(partial.jsonPath, path, value, partial.willContinue === true);
  }

  /** The text of a string piece: escaped, closed unless more follows, a trailing high surrogate held back. */
  #stringText(piece: string, more: boolean): string {
    let text = this.#heldSurrogate + piece;
    this.#heldSurrogate = "";
    if (more && text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.#heldSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    const escaped = escapeString(text);
    return more ? escaped : `${escaped}"`;
  }

  #emit(delta: string): string {
    this.#emitted += delta;
    this.#emittedLength += delta.length;
    return delta;
  }

  /**
   * Writes a value whose path is new and comes after everything emitted (document order), closing and opening
   * containers as needed. Returns undefined, changing nothing, when the value is not such an append.
   */
  #appendInOrder(
    jsonPath: string,
    path: (string | number)[],
    value: JsonValue,
    more: boolean,
  ): string | undefined {
    const stack = this.#stack;
    if (stack.length === 0) {
      // Nothing emitted yet: only an empty object can be tracked from here.
      for (const _ in this.args) return undefined;
    }
    const depth = path.length - 1;
    // How many containers of the emitted text the new path shares.
    let shared = 0;
    const stackPath = this.#stackPath;
    while (shared < stackPath.length && shared < depth && path[shared] === stackPath[shared]) shared++;
    const holder = stack.length === 0 ? this.args : stack[shared]!.value;
    if (!this.#isNewMember(holder, path[shared]!)) return undefined;
    for (let index = shared + 1; index <= depth; index++) {
      const key = path[index]!;
      // A new container: an array's first member must be index 0.
      if (key !== 0 && typeof key === "number") return undefined;
    }
    // In order: close what the new path leaves, then open what it enters.
    let delta = "";
    if (this.#open !== undefined) {
      delta += `${escapeString(this.#heldSurrogate)}"`;
      this.#heldSurrogate = "";
      this.#open = undefined;
    }
    if (stack.length === 0) {
      delta += "{";
      stack.push({ value: this.args, members: 0 });
    }
    while (stack.length > shared + 1) {
      delta += Array.isArray(stack.pop()!.value) ? "]" : "}";
      stackPath.pop();
    }
    let container = stack[shared]!;
    for (let index = shared; index <= depth; index++) {
      const key = path[index]!;
      if (container.members++ > 0) delta += ",";
      if (typeof key === "string") delta += `${JSON.stringify(key)}:`;
      const target = container.value as Record<string | number, JsonValue>;
      if (index === depth) {
        setMember(target, key, value);
        if (typeof value === "string") {
          delta += `"${this.#stringText(value, more)}`;
          if (more) this.#open = { path: jsonPath, container: target, key };
        } else delta += JSON.stringify(value);
        break;
      }
      const child: JsonObject | JsonValue[] = typeof path[index + 1] === "number" ? [] : {};
      setMember(target, key, child);
      delta += Array.isArray(child) ? "[" : "{";
      container = { value: child, members: 0 };
      stack.push(container);
      stackPath.push(key);
    }
    return this.#emit(delta);
  }

  /** True when `key` would be written last in `holder`'s serialization (a new member appended in order). */
  #isNewMember(holder: JsonObject | JsonValue[], key: string | number): boolean {
    if (Array.isArray(holder)) return key === holder.length;
    if (typeof key !== "string" || Object.hasOwn(holder, key)) return false;
    // An integer-like key is serialized before the others: last only in an empty object.
    if (INDEX_LIKE.test(key)) for (const _name in holder) return false;
    return true;
  }

  /** Leaves structural tracking for good: from now on deltas come from whole serializations. */
  #untrack(): void {
    this.#tracked = false;
    this.#open = undefined;
    if (this.#heldSurrogate) {
      // The held surrogate belongs to a string already in `args`; the next serialization emits it.
      this.#heldSurrogate = "";
    }
  }

  /** Writes a value anywhere (walking the path, creating containers), then emits what the order allows. */
  #applyAnywhere(jsonPath: string, path: (string | number)[], value: JsonValue, more: boolean): string {
    let holder: JsonObject | JsonValue[] = this.args;
    let last = true;
    for (let index = 0; index < path.length - 1; index++) {
      const key = path[index]!;
      const container = holder as Record<string | number, JsonValue>;
      let next = container[key];
      if (typeof next !== "object" || next === null) {
        next = typeof path[index + 1] === "number" ? [] : {};
        setMember(container, key, next);
      }
      last &&= isLastKey(holder, key);
      holder = next as JsonObject | JsonValue[];
    }
    const key = path[path.length - 1]!;
    const container = holder as Record<string | number, JsonValue>;
    const existing = container[key];
    setMember(
      container,
      key,
      typeof existing === "string" && typeof value === "string" ? existing + value : value,
    );
    last &&= isLastKey(holder, key);
    const openString = more && typeof value === "string";
    const delta = this.#delta(openString);
    // The open-string fast path also serves this mode while the string is the last thing serialized.
    if (openString && last && this.#inOrder) this.#open = { path: jsonPath, container, key };
    return delta;
  }

  /** The text emitted so far is a prefix of the current serialization minus its closers: emit the difference. */
  #delta(openString: boolean): string {
    if (!this.#inOrder) return "";
    let text = JSON.stringify(this.args);
    let end = text.length;
    while (end > 0 && (text[end - 1] === "}" || text[end - 1] === "]")) end--;
    if (openString && text[end - 1] === '"') end--;
    text = text.slice(0, end);
    if (!text.startsWith(this.#emitted)) {
      this.#inOrder = false;
      return "";
    }
    return this.#emit(text.slice(this.#emittedLength));
  }

  /** The final argument text and the part of it not yet emitted as deltas (empty when out of order). */
  finish(): { text: string; rest: string } {
    if (this.#tracked && this.#stack.length > 0) {
      // Tracked structurally, the final text is what was emitted plus the closers of what is still open.
      let rest = this.#open === undefined ? "" : `${escapeString(this.#heldSurrogate)}"`;
      for (let index = this.#stack.length - 1; index >= 0; index--) {
        rest += Array.isArray(this.#stack[index]!.value) ? "]" : "}";
      }
      return { text: this.#emitted + rest, rest };
    }
    const text = JSON.stringify(this.args);
    if (!this.#inOrder) return { text, rest: "" };
    if (this.#tracked) return { text, rest: text.slice(this.#emittedLength) };
    return { text, rest: text.startsWith(this.#emitted) ? text.slice(this.#emittedLength) : "" };
  }
}

/** True when `key` is the last member of `holder` in serialization order. */
function isLastKey(holder: JsonObject | JsonValue[], key: string | number): boolean {
  if (Array.isArray(holder)) return key === holder.length - 1;
  let lastKey: string | undefined;
  for (const name in holder) lastKey = name;
  return lastKey === String(key);
}
