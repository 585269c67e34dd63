import { describe, expect, it } from "vitest";
import { startsWithPrefix, stringLiteral } from "./string-literal.ts";

/** The literal at the end of `{"t":<literal>}`, read as the engines' short paths read it. */
const read = (literal: string) => {
  const data = `{"t":${literal}}`;
  return stringLiteral(data, 5, data.length - 2);
};

describe("stringLiteral", () => {
  it.each([
    ['"Hi"', "Hi"],
    ['""', ""],
    ['" résumé 日本"', " résumé 日本"],
    ['"a longer piece of text"', "a longer piece of text"],
    ['"\\"q\\" \\\\ \\u00e9 \\n"', '"q" \\ é \n'],
  ])("reads %s as JSON.parse does", (literal, value) => {
    expect(read(literal)).toBe(value);
    expect(read(literal)).toBe(JSON.parse(literal));
  });

  it.each([
    ["a raw quote", '"a"b"'],
    ["a raw control character", '"a\tb"'],
    ["an unterminated escape", '"ab\\"'],
    ["a bad escape", '"a\\qb"'],
    ["a number", "1"],
  ])("rejects %s (JSON.parse would)", (_name, literal) => {
    expect(read(literal)).toBeUndefined();
  });
});

describe("startsWithPrefix", () => {
  it("compares one-byte and two-byte strings", () => {
    expect(startsWithPrefix('{"type":"x","text":"日本"}', '{"type":"x",')).toBe(true);
    expect(startsWithPrefix('{"type":"y","text":"日本"}', '{"type":"x",')).toBe(false);
    expect(startsWithPrefix('{"type":"x",', '{"type":"x",')).toBe(false);
  });
});
