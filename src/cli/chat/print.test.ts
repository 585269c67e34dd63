import { describe, expect, it } from "vitest";
import { inert, ScrollPrinter } from "./print.ts";

/** A recorded answer that tries terminal escapes: color, clear screen, window title, clipboard, cursor moves. */
const HOSTILE =
  "Safe \x1b[31mred\x1b[0m \x1b[2J\x1b[H \x1b]0;pwned\x07 \x1b]52;c;cm0gLXJmIH4=\x07 \x9b31m \x1bc bell\x07 cr\rlf\r\nend\ttab";

describe("the chat's scrollback printer", () => {
  it("makes model output inert: no escape sequence or control character reaches the terminal", () => {
    const text = inert(HOSTILE);
    expect(text).toBe("Safe red      bell cr\nlf\nend    tab");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none is left
    expect(text).not.toMatch(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/);
  });

  it("prints answer rows, tool calls and results inert, styled only by its own SGR codes", () => {
    const printer = new ScrollPrinter({ color: true, markdown: true });
    const printed = printer.print(
      [
        { kind: "message", id: "1", message: { kind: "user", id: "u", text: "Hi \x1b[2J" } },
        { kind: "lines", id: "2", style: "text", text: HOSTILE },
        { kind: "part", id: "3", part: { kind: "tool-call", id: "c", name: "x\x1b]0;t\x07", input: {} } },
      ],
      120,
    );
    // Only SGR sequences (ESC [ digits and semicolons m) are left: ours.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing our own SGR codes
    expect(printed.replace(/\x1b\[[\d;]*m/g, "")).not.toContain("\x1b");
    expect(printed).toContain("\x1b[1;34m");
    expect(printed).toContain("› Hi ");
    expect(printed).toContain("⚙ x(");
  });

  it("without colors prints no escape at all; in plain mode Markdown stays as written", () => {
    const printer = new ScrollPrinter({ color: false, markdown: false });
    const printed = printer.print(
      [
        { kind: "lines", id: "1", style: "text", text: "# Title **b**" },
        {
          kind: "end",
          id: "2",
          answer: { kind: "answer", id: "a", parts: [], outcome: "completed", model: "m" },
        },
      ],
      80,
    );
    expect(printed).toBe("# Title **b**\nm\n\n");
  });
});
