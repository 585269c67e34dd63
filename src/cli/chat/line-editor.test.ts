import { describe, expect, it } from "vitest";
import { type EditKey, edit, emptyLine, insert, lineText, sent, splitAtCursor } from "./line-editor.ts";

const keys = (line: ReturnType<typeof emptyLine>, ...pressed: EditKey[]) =>
  pressed.reduce((current, key) => edit(current, key), line);

describe("the chat's line editor", () => {
  it("moves the cursor and inserts where it is (code points, not UTF-16 units)", () => {
    let line = insert(emptyLine(), "héllo 👋 wrld");
    line = keys(line, "left", "left", "left");
    line = insert(line, "o");
    expect(lineText(line)).toBe("héllo 👋 world");
    line = keys(line, "home");
    expect(line.cursor).toBe(0);
    line = insert(keys(line, "end"), "!");
    expect(lineText(line)).toBe("héllo 👋 world!");
    expect(splitAtCursor(keys(line, "home", "right"))).toEqual(["h", "é", "llo 👋 world!"]);
  });

  it("Ctrl-W deletes the word before the cursor, Ctrl-U everything before it, Backspace one character", () => {
    const line = insert(emptyLine(), "explain this code  ");
    expect(lineText(keys(line, "delete-word"))).toBe("explain this ");
    expect(lineText(keys(line, "backspace"))).toBe("explain this code ");
    const middle = keys(line, "home", "right", "right", "right", "right", "right", "right", "right", "right");
    expect(lineText(keys(middle, "delete-to-start"))).toBe("this code  ");
  });

  it("a paste keeps its newlines, CRs become newlines; Home/End stay on the current line", () => {
    let line = insert(emptyLine(), "first\r\nsecond\rthird");
    expect(lineText(line)).toBe("first\nsecond\nthird");
    line = keys(line, "home");
    expect(line.cursor).toBe("first\nsecond\n".length);
  });

  it("Up/Down walk the history and bring back what was being typed", () => {
    let line = insert(emptyLine(["one", "two"]), "draft");
    line = keys(line, "history-previous");
    expect(lineText(line)).toBe("two");
    line = keys(line, "history-previous", "history-previous");
    expect(lineText(line)).toBe("one");
    line = keys(line, "history-next", "history-next");
    expect(lineText(line)).toBe("draft");
    expect(sent(insert(emptyLine(["one"]), "three")).history).toEqual(["one", "three"]);
    expect(sent(insert(emptyLine(["one"]), "one")).history).toEqual(["one"]);
  });
});
