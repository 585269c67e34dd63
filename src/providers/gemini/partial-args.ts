/**
 * Assembles a function call's arguments from Gemini's streamed `partialArgs` (`{jsonPath, stringValue |
 * numberValue | boolValue | nullValue, willContinue}`) into an object, and turns the progress into JSON text
 * deltas for `tool-call-arguments-delta` events.
 *
 * The deltas are prefixes of the final `JSON.stringify(args)`: joined, they give exactly the final argument
 * text when the values arrive in document order (what Gemini does). If a value arrives out of order the deltas
 * pause and the rest is emitted when the call ends; the assembled object is right either way.
 */
import type { JsonObject, JsonValue } from "../../turns/json.ts";
import type { GeminiPartialArg } from "./wire.ts";

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

function partialValue(partial: GeminiPartialArg): JsonValue | undefined {
  if (partial.stringValue !== undefined) return partial.stringValue;
  if (partial.numberValue !== undefined) return partial.numberValue;
  if (partial.boolValue !== undefined) return partial.boolValue;
  if ("nullValue" in partial) return null;
  return undefined;
}

/**
 * Builds one call's arguments. Linear in the argument size: a string streamed in pieces (`willContinue`) costs
 * one escape per piece; only a new path serializes the object so far.
 *
 * @example
 * const assembler = new PartialArgsAssembler();
 * assembler.apply({ jsonPath: "$.city", stringValue: "Bos", willContinue: true }); // '{"city":"Bos'
 * assembler.apply({ jsonPath: "$.city", stringValue: "ton" }); // 'ton"'
 * assembler.finish(); // { text: '{"city":"Boston"}', rest: "}" }
 */
export class PartialArgsAssembler {
  readonly args: JsonObject = {};
  #emitted = "";
  #inOrder = true;
  /** The string left open at the end of the emitted text: its path and where it lives. */
  #open: { path: string; container: Record<string | number, JsonValue>; key: string | number } | undefined;

  /** Applies one partial argument (strings append to what the path holds). Returns the new JSON text, if any. */
  apply(partial: GeminiPartialArg): string {
    const open = this.#open;
    if (open !== undefined && open.path === partial.jsonPath && partial.stringValue !== undefined) {
      // Fast path: the next piece of the string being streamed.
      open.container[open.key] = (open.container[open.key] as string) + partial.stringValue;
      const piece = partial.stringValue;
      const escaped = NEEDS_ESCAPE.test(piece) ? JSON.stringify(piece).slice(1, -1) : piece;
      const delta = partial.willContinue === true ? escaped : `${escaped}"`;
      if (partial.willContinue !== true) this.#open = undefined;
      this.#emitted += delta;
      return delta;
    }
    const path = parseJsonPath(partial.jsonPath);
    const value = partialValue(partial);
    if (path.length === 0 || value === undefined) return "";
    let holder: JsonObject | JsonValue[] = this.args;
    let last = true;
    for (let index = 0; index < path.length - 1; index++) {
      const key = path[index]!;
      const nextIsIndex = typeof path[index + 1] === "number";
      const container = holder as Record<string | number, JsonValue>;
      let next = container[key];
      if (typeof next !== "object" || next === null) {
        next = nextIsIndex ? [] : {};
        container[key] = next;
      }
      last &&= isLastKey(holder, key);
      holder = next as JsonObject | JsonValue[];
    }
    const key = path[path.length - 1]!;
    const container = holder as Record<string | number, JsonValue>;
    const existing = container[key];
    container[key] = typeof existing === "string" && typeof value === "string" ? existing + value : value;
    last &&= isLastKey(holder, key);
    const openString = partial.willContinue === true && typeof value === "string";
    const delta = this.#delta(openString);
    this.#open = openString && last && this.#inOrder ? { path: partial.jsonPath, container, key } : undefined;
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
    const delta = text.slice(this.#emitted.length);
    this.#emitted = text;
    return delta;
  }

  /** The final argument text and the part of it not yet emitted as deltas (empty when out of order). */
  finish(): { text: string; rest: string } {
    const text = JSON.stringify(this.args);
    const rest = this.#inOrder && text.startsWith(this.#emitted) ? text.slice(this.#emitted.length) : "";
    return { text, rest };
  }
}

/** True when `key` is the last member of `holder` in serialization order. */
function isLastKey(holder: JsonObject | JsonValue[], key: string | number): boolean {
  if (Array.isArray(holder)) return key === holder.length - 1;
  let lastKey: string | undefined;
  for (const name in holder) lastKey = name;
  return lastKey === String(key);
}
