import { describe, expect, it } from "vitest";
import {
  newAssistantTextBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
} from "../turns/builders.ts";
import type { Block, Turn } from "../turns/types.ts";
import { IncrementalMessages, messagesFromTurn } from "./messages.ts";

const extend = (turn: Turn, ...blocks: Block[]): Turn => ({ ...turn, blocks: [...turn.blocks, ...blocks] });

describe("IncrementalMessages", () => {
  it("gives what messagesFromTurn gives as the Turn grows, a tool call joining the assistant message before it", () => {
    const list = new IncrementalMessages();
    let turn = newTurn([newSystemTextBlock("Be brief."), newUserTextBlock("Weather?")]);
    expect(list.of(turn)).toEqual(messagesFromTurn(turn));
    turn = extend(turn, newAssistantTextBlock("Let me look."));
    const before = list.of(turn);
    turn = extend(
      turn,
      newToolCallBlock({ id: "call_1", name: "get_weather", args: { city: "Oslo" } }),
      newToolUseBlock("call_1", { sky: "grey" }),
      newAssistantTextBlock("Grey."),
    );
    const after = list.of(turn);
    expect(after).toEqual(messagesFromTurn(turn));
    expect(after[2]).toMatchObject({
      role: "assistant",
      content: "Let me look.",
      toolCalls: [{ name: "get_weather" }],
    });
    // What an earlier call returned is not changed by the join.
    expect(before[2]?.toolCalls).toBeUndefined();
  });

  it("reads the whole Turn again when it does not extend the last one (cleared, replaced or shortened)", () => {
    const list = new IncrementalMessages();
    const turn = newTurn([newUserTextBlock("a"), newAssistantTextBlock("b")]);
    list.of(turn);
    const replaced = { ...turn, blocks: [turn.blocks[0]!, newAssistantTextBlock("c")] };
    expect(list.of(replaced)).toEqual(messagesFromTurn(replaced));
    const other = newTurn([newUserTextBlock("x"), newAssistantTextBlock("c"), newUserTextBlock("y")]);
    expect(list.of(other)).toEqual(messagesFromTurn(other));
    expect(list.of(newTurn([]))).toEqual([]);
    expect(list.of(turn)).toEqual(messagesFromTurn(turn));
  });
});
