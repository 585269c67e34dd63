import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { highlightCode, newMarkdownRenderer, renderTable } from "./markdown.ts";

const plain = (rows: string[]) => rows.map((row) => stripVTControlCharacters(row));

describe("Markdown in the terminal (streamed line by line)", () => {
  it("renders headings, emphasis, inline code, links, lists, quotes and rules", () => {
    const markdown = newMarkdownRenderer(true);
    const rows = markdown.feed(
      "# Title\nSome **bold**, *italic* and `a_b` with snake_case, [docs](https://x.y).\n- one\n> said\n---",
      false,
      80,
    );
    expect(plain(rows)).toEqual([
      "Title",
      "Some bold, italic and a_b with snake_case, docs (https://x.y).",
      "• one",
      "│ said",
      "─".repeat(40),
    ]);
    expect(rows[0]).toBe("\x1b[1;4mTitle\x1b[0m");
    expect(rows[1]).toContain("\x1b[1mbold\x1b[0m");
    expect(rows[1]).toContain("\x1b[3mitalic\x1b[0m");
    expect(rows[1]).toContain("\x1b[36ma_b\x1b[0m");
  });

  it("keeps emphasis open across the rows of a long line that streams row by row", () => {
    const markdown = newMarkdownRenderer(true);
    const first = markdown.feed("start **bold that", true, 80);
    const rest = markdown.feed(" goes on** end", false, 80);
    expect(first[0]).toContain("\x1b[1mbold that\x1b[0m");
    expect(rest[0]).toBe("\x1b[1m goes on\x1b[0m end");
  });

  it("highlights fenced code and leaves it unwrapped by Markdown rules", () => {
    const markdown = newMarkdownRenderer(true);
    const rows = markdown.feed('```ts\nconst x = "s"; // **not bold**\n```\nafter', false, 80);
    expect(plain(rows)).toEqual(["```ts", 'const x = "s"; // **not bold**', "```", "after"]);
    expect(rows[1]).toBe(highlightCode('const x = "s"; // **not bold**', "ts", true));
    expect(rows[1]).toContain("\x1b[35mconst\x1b[0m");
    expect(rows[1]).toContain('\x1b[32m"s"\x1b[0m');
    expect(rows[1]).toContain("\x1b[2m// **not bold**\x1b[0m");
    expect(highlightCode("x = 1 # note", "python", true)).toContain("\x1b[2m# note\x1b[0m");
  });

  it("aligns a table once its last row arrived, the header bold", () => {
    const markdown = newMarkdownRenderer(false);
    expect(markdown.feed("| Name | Qty |\n| --- | ---: |\n| apple | 3 |", false, 80)).toEqual([]);
    expect(markdown.feed("| kiwi fruit | 12 |", false, 80)).toEqual([]);
    expect(markdown.feed("after", false, 80)).toEqual([
      "Name       │ Qty",
      "───────────┼────",
      "apple      │   3",
      "kiwi fruit │  12",
      "after",
    ]);
    expect(plain(renderTable(["| a | **b** |", "|:-:|---|", "| long cell | x |"], true))[2]).toBe(
      "long cell │ x",
    );
    const held = newMarkdownRenderer(false);
    held.feed("| a | b |", false, 80);
    expect(held.end(80)).toEqual(["a │ b"]);
  });

  it("wraps a long paragraph at the width, list items indented under their bullet", () => {
    const markdown = newMarkdownRenderer(false);
    expect(markdown.feed("- aaaa bbbb cccc dddd", false, 12)).toEqual(["• aaaa bbbb", "  cccc dddd"]);
  });
});
