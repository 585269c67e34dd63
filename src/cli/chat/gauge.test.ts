import { describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { newAssistantTextBlock, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { contextWindowOf } from "../models.ts";
import { formatGauge } from "./format.ts";
import { chatReducer, initialChatState } from "./view-model.ts";

function answered(input: number, output: number, total: number) {
  return KeyInferenceResult.set(newTurn([newUserTextBlock("Hello"), newAssistantTextBlock("Hi")]), {
    provider: "openai",
    model: "gpt-4o-mini",
    finishClass: "completed",
    truncated: false,
    usage: { inputTokens: input, outputTokens: output },
    cost: { currency: "USD", input: total / 2, output: total / 2, total },
  });
}

describe("the chat's context gauge and running cost", () => {
  it("adds up the session's cost; the context is what the model last saw", () => {
    let state = initialChatState();
    expect(formatGauge(state, 128_000)).toBeUndefined();
    for (const [input, output, cost] of [
      [1_000, 200, 0.001],
      [1_300, 400, 0.002],
    ] as const) {
      state = chatReducer(state, { type: "submitted", text: "Hello" });
      state = chatReducer(state, { type: "finished", turn: answered(input, output, cost) });
    }
    expect(state.sessionCost).toBeCloseTo(0.003);
    expect(state.contextTokens).toBe(1_700);
    expect(formatGauge(state, 128_000)).toBe("context 1,700 / 128,000 tokens (1%) · session $0.0030");
    expect(formatGauge(state)).toBe("context 1,700 tokens · session $0.0030");
  });

  it("a resumed conversation starts with its totals", () => {
    const state = initialChatState([answered(500, 100, 0.0005)]);
    expect(state.contextTokens).toBe(600);
    expect(state.sessionCost).toBeCloseTo(0.0005);
  });

  it("knows the context window of the configured model, or of the settings' modelInfo", () => {
    expect(contextWindowOf({ chat: { apiType: "openai" } })).toBe(128_000);
    expect(contextWindowOf({ chat: { apiType: "claude", engine: "claude-sonnet-4-20250514" } })).toBe(
      200_000,
    );
    expect(
      contextWindowOf({ chat: { apiType: "openai", engine: "mine" }, modelInfo: { contextWindow: 8_192 } }),
    ).toBe(8_192);
    expect(contextWindowOf({ chat: { apiType: "openai", engine: "unknown-model" } })).toBeUndefined();
  });
});
