import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { sanitizeYaml } from "./sanitize-yaml.ts";

describe("sanitizeYaml", () => {
  it("quotes plain values that YAML would misread", () => {
    const text = [
      "citations:",
      "- title: Attention: all you need",
      "  note: see issue #42",
      "  handle: @openai",
      '  quoted: "GPT-4" Technical Report',
    ].join("\n");
    expect(() => parse(text)).toThrow();
    expect(parse(sanitizeYaml(text))).toEqual({
      citations: [
        {
          title: "Attention: all you need",
          note: "see issue #42",
          handle: "@openai",
          quoted: '"GPT-4" Technical Report',
        },
      ],
    });
  });

  it("turns tabs in indentation into spaces", () => {
    expect(parse(sanitizeYaml("a:\n\tb: 1\n\tc: 2"))).toEqual({ a: { b: 1, c: 2 } });
  });

  it("leaves valid YAML unchanged", () => {
    const valid = [
      "title: 'It''s fine'",
      'other: "x: y" # comment',
      "url: https://example.com/a",
      "list: [a, b]",
      "block: |",
      "  text: kept",
      "year: 2017",
    ].join("\n");
    expect(sanitizeYaml(valid)).toBe(valid);
  });
});
