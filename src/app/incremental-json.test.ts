import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IncrementalJsonParser } from "./incremental-json.ts";

/** Cuts `text` at the given offsets (sorted, deduplicated) into pieces. */
function cut(text: string, offsets: number[]): string[] {
  const points = [...new Set(offsets.map((offset) => offset % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(text.slice(start, point));
    start = point;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** True when `partial` could become `final` as more text arrives. */
function isPartialOf(partial: unknown, final: unknown): boolean {
  if (typeof partial === "string") return typeof final === "string" && final.startsWith(partial);
  if (Array.isArray(partial)) {
    return (
      Array.isArray(final) &&
      partial.length <= final.length &&
      partial.every((item, index) => isPartialOf(item, final[index]))
    );
  }
  if (typeof partial === "object" && partial !== null) {
    if (typeof final !== "object" || final === null || Array.isArray(final)) return false;
    return Object.entries(partial).every(
      ([key, item]) =>
        Object.hasOwn(final, key) && isPartialOf(item, (final as Record<string, unknown>)[key]),
    );
  }
  return partial === final;
}

describe("IncrementalJsonParser", () => {
  it("builds the same value as JSON.parse however the text is cut", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        (value, offsets, pretty) => {
          const text = JSON.stringify(value, null, pretty ? 2 : undefined);
          const parser = new IncrementalJsonParser();
          for (const piece of cut(text, offsets)) parser.push(piece);
          expect(parser.done).toBe(true);
          expect(parser.value).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("after each piece, holds a partial of the final value (strings cut, never anything wrong)", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.array(fc.nat(), { maxLength: 10 }),
        (value, offsets) => {
          const text = JSON.stringify(value);
          const final = JSON.parse(text) as unknown;
          const parser = new IncrementalJsonParser();
          for (const piece of cut(text, offsets)) {
            parser.push(piece);
            if (parser.value !== undefined) expect(isPartialOf(parser.value, final)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("shows a string as it arrives, a number once complete, and reports each element of the named array", () => {
    const elements: unknown[] = [];
    const parser = new IncrementalJsonParser({
      elementsKey: "elements",
      onElement: (element) => elements.push(element),
    });
    parser.push('```json\n{"elements": [{"city": "Par');
    expect(parser.value).toEqual({ elements: [{ city: "Par" }] });
    expect(elements).toEqual([]);
    parser.push('is", "size": 2.1');
    expect(parser.value).toEqual({ elements: [{ city: "Paris" }] });
    parser.push('}, {"city": "Lyon\\u00e9"}, "x"');
    expect(elements).toEqual([{ city: "Paris", size: 2.1 }, { city: "Lyoné" }, "x"]);
    parser.push("]}\n```");
    expect(parser.done).toBe(true);
  });

  it("names what is wrong with text that cannot be JSON", () => {
    const parser = new IncrementalJsonParser();
    expect(() => parser.push('{"a" 1}')).toThrow('expected ":" after a JSON key, got "1"');
    expect(() => new IncrementalJsonParser().push('{"a": tru}')).toThrow('invalid JSON value "tru"');
    expect(() => new IncrementalJsonParser().push('{"a": "\\q"}')).toThrow(
      'invalid escape "\\q" in JSON string',
    );
  });
});
