import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePartialJson } from "./partial-json.ts";

describe("parsePartialJson", () => {
  it("parses a whole document as complete", () => {
    expect(parsePartialJson('{"a": [1, 2]}')).toEqual({ ok: true, value: { a: [1, 2] }, complete: true });
  });

  it("cuts back to the last complete value and closes what is open", () => {
    const cases: [string, unknown][] = [
      ["{", {}],
      ['{"a', {}],
      ['{"a": "x", "b', { a: "x" }],
      ['{"a": "x", "b": [1, 2', { a: "x", b: [1] }],
      ['{"a": [{"t": "GPT-4"}, {"t": "Att', { a: [{ t: "GPT-4" }, {}] }],
      ["[true, fal", [true]],
      ['{"a": "quote \\" inside", "b": nu', { a: 'quote " inside' }],
      ['{"a": 1} trailing', { a: 1 }],
    ];
    for (const [text, value] of cases) {
      expect(parsePartialJson(text), text).toEqual({ ok: true, value, complete: false });
    }
  });

  it("fails on text with nothing usable yet", () => {
    expect(parsePartialJson('"abc').ok).toBe(false);
    expect(parsePartialJson("").ok).toBe(false);
  });

  it("every prefix of a JSON document either fails or gives a value, never throws", () => {
    fc.assert(
      fc.property(fc.json(), (json) => {
        for (let end = 0; end <= json.length; end++) parsePartialJson(json.slice(0, end));
        const whole = parsePartialJson(json);
        expect(whole).toEqual({ ok: true, value: JSON.parse(json), complete: true });
      }),
      { numRuns: 200 },
    );
  });
});
