import { describe, expect, it } from "vitest";
import type { GeppettoEvent } from "../../events/types.ts";
import { newTurn } from "../../turns/builders.ts";
import { AppendOnlyList, displayWidth, type ScrollItem } from "./scrollback.ts";
import { type ChatState, chatReducer, initialChatState } from "./view-model.ts";

const meta = { id: "s1", seq: 0 };
const partial = (delta: string): GeppettoEvent => ({ type: "partial", delta, completion: "", meta });

function stream(state: ChatState, ...deltas: string[]): ChatState {
  return deltas.reduce(
    (current, delta) => chatReducer(current, { type: "event", event: partial(delta) }),
    state,
  );
}

function printed(state: ChatState): string[] {
  return state.scroll.slice().map((item: ScrollItem) => {
    if (item.kind === "lines") return `lines:${item.text}`;
    if (item.kind === "message") return `${item.message.kind}`;
    return item.kind;
  });
}

describe("the chat's scrollback", () => {
  it("moves each finished line of a streamed answer to the scrollback once; the live part keeps the rest", () => {
    let state = chatReducer(initialChatState(), { type: "submitted", text: "Hi" });
    state = stream(state, "one\ntw", "o\nthr");
    expect(printed(state)).toEqual(["user", "lines:one", "lines:two"]);
    expect(state.current!.parts).toEqual([{ kind: "text", text: "thr" }]);
    state = stream(state, "ee");
    expect(printed(state)).toHaveLength(3);
    state = chatReducer(state, { type: "finished", turn: newTurn([]) });
    expect(printed(state)).toEqual(["user", "lines:one", "lines:two", "lines:three", "end"]);
    // The transcript keeps the whole answer as one message.
    expect(state.messages[1]).toMatchObject({ kind: "answer", parts: [{ text: "one\ntwo\nthree" }] });
  });

  it("a line wider than the screen moves row by row, broken where Ink wraps it, so the live part is one row", () => {
    let state = chatReducer(initialChatState([], [], { columns: 10 }), { type: "submitted", text: "Hi" });
    state = stream(state, "aaaa bbbb cc", "cc dddd eeee ", "abcdefghijklmn");
    expect(printed(state)).toEqual([
      "user",
      "lines:aaaa bbbb",
      "lines:cccc dddd",
      "lines:eeee",
      "lines:abcdefghij",
    ]);
    expect(state.current!.parts).toEqual([{ kind: "text", text: "klmn" }]);
    // Wide characters take two columns.
    state = stream(state, "\n日本語の文章です");
    expect(printed(state).slice(-2)).toEqual(["lines:klmn", "lines:日本語の文"]);
    state = chatReducer(state, { type: "finished", turn: newTurn([]) });
    // The transcript keeps the text exactly as it streamed.
    expect(state.messages.at(-1)).toMatchObject({
      parts: [{ text: "aaaa bbbb cccc dddd eeee abcdefghijklmn\n日本語の文章です" }],
    });
  });

  it("a resize changes where the rows still to come break", () => {
    let state = chatReducer(initialChatState([], [], { columns: 10 }), { type: "submitted", text: "Hi" });
    state = chatReducer(state, { type: "resized", columns: 20 });
    state = stream(state, "aaaa bbbb cccc dddd eeee");
    expect(printed(state)).toEqual(["user", "lines:aaaa bbbb cccc dddd"]);
    expect(displayWidth("日本 ab")).toBe(7);
  });

  it("a tool call is printed at once, between text parts", () => {
    let state = chatReducer(initialChatState(), { type: "submitted", text: "Hi" });
    state = stream(state, "Let me look");
    state = chatReducer(state, {
      type: "event",
      event: { type: "tool-call", toolCall: { id: "c1", name: "get_time", input: {} }, meta },
    });
    expect(printed(state)).toEqual(["user", "lines:Let me look", "part"]);
  });

  it("versions of an append-only list share one array and each sees its own items", () => {
    const one = AppendOnlyList.empty<string>().append("a");
    const two = one.append("b");
    const branch = one.append("c");
    expect([one.slice(), two.slice(), branch.slice()]).toEqual([["a"], ["a", "b"], ["a", "c"]]);
    expect(two.slice(1)).toEqual(["b"]);
    expect(two.at(-1)).toBe("b");
  });
});
