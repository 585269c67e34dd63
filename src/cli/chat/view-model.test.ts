import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import type { GeppettoEvent } from "../../events/types.ts";
import {
  newAssistantTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
} from "../../turns/builders.ts";
import { formatAnswerFooter } from "./format.ts";
import { answerSoFar, type ChatState, chatReducer, initialChatState } from "./view-model.ts";

const meta = { id: "s1", seq: 0 };
const partial = (delta: string): GeppettoEvent => ({ type: "partial", delta, completion: "", meta });
const thinking = (delta: string): GeppettoEvent => ({
  type: "partial-thinking",
  delta,
  completion: "",
  meta,
});

function apply(state: ChatState, ...events: GeppettoEvent[]): ChatState {
  return events.reduce((current, event) => chatReducer(current, { type: "event", event }), state);
}

describe("chatReducer", () => {
  it("streams deltas into the current answer, thinking and text as separate parts, spinner until the first", () => {
    let state = chatReducer(initialChatState(), { type: "submitted", text: "Hello" });
    expect(state).toMatchObject({ busy: true, waiting: true, messages: [{ kind: "user", text: "Hello" }] });
    state = apply(state, { type: "start", meta });
    expect(state.waiting).toBe(true);
    state = apply(state, thinking("Let me "), thinking("think."), partial("Hi "), partial("there"));
    expect(state.waiting).toBe(false);
    expect(answerSoFar(state)?.parts).toEqual([
      { kind: "thinking", text: "Let me think." },
      { kind: "text", text: "Hi there" },
    ]);
    expect(state.messages).toHaveLength(1);
  });

  it("shows tool calls and their results in order", () => {
    let state = chatReducer(initialChatState(), { type: "submitted", text: "time?" });
    state = apply(
      state,
      { type: "tool-call", toolCall: { id: "c1", name: "get_time", input: { zone: "UTC" } }, meta },
      { type: "tool-result", toolResult: { id: "c1", name: "get_time", result: "12:00" }, meta },
      partial("It is noon."),
    );
    expect(answerSoFar(state)?.parts).toEqual([
      { kind: "tool-call", id: "c1", name: "get_time", input: { zone: "UTC" } },
      { kind: "tool-result", id: "c1", name: "get_time", result: "12:00" },
      { kind: "text", text: "It is noon." },
    ]);
  });

  it("finishes with the usage and cost of the turn's inference result", () => {
    let state = chatReducer(initialChatState(), { type: "submitted", text: "Hello" });
    state = apply(state, partial("Hi"));
    const turn = KeyInferenceResult.set(newTurn([newUserTextBlock("Hello"), newAssistantTextBlock("Hi")]), {
      provider: "openai",
      model: "gpt-test",
      finishClass: "completed",
      truncated: false,
      usage: { inputTokens: 3, outputTokens: 1 },
      cost: { currency: "USD", input: 0.001, output: 0.002, total: 0.003 },
    });
    state = chatReducer(state, { type: "finished", turn });
    expect(state.busy).toBe(false);
    expect(state.current).toBeUndefined();
    const answer = state.messages[1];
    expect(answer).toMatchObject({ kind: "answer", outcome: "completed", usage: { inputTokens: 3 } });
    expect(formatAnswerFooter(answer as never)).toBe("3 in · 1 out tokens · $0.0030 · gpt-test");
  });

  it("keeps the partial answer when cancelled", () => {
    let state = chatReducer(initialChatState(), { type: "submitted", text: "Tell me" });
    state = apply(state, partial("Once upon"));
    state = chatReducer(state, { type: "cancel-requested" });
    expect(state.cancelling).toBe(true);
    state = apply(state, { type: "interrupt", text: "Once upon", meta });
    const turn = KeyInferenceResult.set(newTurn([newUserTextBlock("Tell me")]), {
      provider: "scripted",
      finishClass: "interrupted",
      truncated: true,
    });
    state = chatReducer(state, { type: "finished", turn });
    expect(state.messages[1]).toMatchObject({
      outcome: "interrupted",
      parts: [{ kind: "text", text: "Once upon" }],
    });
    expect(formatAnswerFooter(state.messages[1] as never)).toBe("[cancelled]");
    expect(state).toMatchObject({ busy: false, cancelling: false, waiting: false });
  });

  it("shows a failure with what streamed before it", () => {
    let state = chatReducer(initialChatState(), { type: "submitted", text: "Hello" });
    state = apply(state, partial("Hal"));
    state = chatReducer(state, { type: "failed", message: "HTTP 500 from openai" });
    expect(state.messages[1]).toMatchObject({ outcome: "error", parts: [{ text: "Hal" }] });
    expect(formatAnswerFooter(state.messages[1] as never)).toBe("[error] HTTP 500 from openai");
  });

  it("ignores events when no answer runs, and returns the same state for events it does not show", () => {
    const idle = initialChatState();
    expect(apply(idle, partial("stray"))).toBe(idle);
    const running = apply(chatReducer(idle, { type: "submitted", text: "x" }), partial("a"));
    expect(apply(running, { type: "log", level: "info", message: "m", meta })).toBe(running);
  });

  it("never copies finished messages while streaming", () => {
    let state = chatReducer(initialChatState(), { type: "submitted", text: "x" });
    const messages = state.messages;
    for (let index = 0; index < 1000; index++) state = apply(state, partial("w "));
    expect(state.messages).toBe(messages);
    expect(answerSoFar(state)?.parts).toHaveLength(1);
  });

  it("shows a stored conversation as messages, with the last answer's usage", () => {
    const turn = KeyInferenceResult.set(
      newTurn([
        newUserTextBlock("first"),
        newAssistantTextBlock("answer one"),
        newUserTextBlock("second"),
        newToolCallBlock({ id: "c1", name: "calc", args: { a: 1 } }),
        newToolUseBlock("c1", 2),
        newAssistantTextBlock("two"),
      ]),
      {
        provider: "p",
        finishClass: "completed",
        truncated: false,
        usage: { inputTokens: 9, outputTokens: 2 },
      },
    );
    const state = initialChatState([turn], ["Resumed session s1"]);
    expect(state.messages.map((message) => message.kind)).toEqual([
      "notice",
      "user",
      "answer",
      "user",
      "answer",
    ]);
    expect(state.messages[0]).toMatchObject({ text: "Resumed session s1", tone: "info" });
    expect(state.messages[4]).toMatchObject({
      usage: { inputTokens: 9 },
      parts: [{ kind: "tool-call", name: "calc" }, { kind: "tool-result", result: 2 }, { text: "two" }],
    });
    expect(new Set(state.messages.map((message) => message.id)).size).toBe(5);
  });

  it("gives each resumed answer the usage of the turn that produced it", () => {
    const result = (inputTokens: number, finishClass: "completed" | "interrupted") => ({
      provider: "p",
      finishClass,
      truncated: finishClass === "interrupted",
      usage: { inputTokens, outputTokens: 1 },
    });
    const first = KeyInferenceResult.set(
      newTurn([newUserTextBlock("one"), newAssistantTextBlock("A")]),
      result(1, "completed"),
    );
    const second = KeyInferenceResult.set(
      newTurn([...first.blocks, newUserTextBlock("two"), newAssistantTextBlock("B")]),
      result(2, "interrupted"),
    );
    const answers = initialChatState([first, second]).messages.filter((message) => message.kind === "answer");
    expect(answers).toMatchObject([
      { outcome: "completed", usage: { inputTokens: 1 } },
      { outcome: "interrupted", usage: { inputTokens: 2 } },
    ]);
  });
});
