/**
 * OpenAI Chat: with `n > 1` every choice is kept (choice 0 as the Turn's blocks, the others as `openai.choice`
 * blocks that are never sent back); `logitBias` is sent as `logit_bias` and checked.
 */
import { describe, expect, it } from "vitest";
import { CallerError } from "../../engine/errors.ts";
import { KeyOpenAIInferenceConfig } from "../../engine/inference-config.ts";
import { prepareTurn } from "../../provider-kit/prepare.ts";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { runStreamHandler } from "../test-support.ts";
import { createOpenAIChatEngine } from "./engine.ts";
import { buildChatRequest, CHOICE_BLOCK_TYPE } from "./request.ts";
import { ChatStreamReader } from "./stream.ts";

const chunk = (choices: unknown[]) => JSON.stringify({ id: "chatcmpl_1", model: "gpt-4o-mini", choices });

describe("OpenAI Chat with n > 1", () => {
  it("keeps every choice: 0 as blocks, the others as openai.choice blocks", () => {
    const { output } = runStreamHandler("openai", (out) => {
      const reader = new ChatStreamReader(out);
      reader.onEvent(
        chunk([
          { index: 0, delta: { content: "Red" } },
          { index: 1, delta: { content: "Bl" } },
        ]),
      );
      reader.onEvent(chunk([{ index: 1, delta: { content: "ue" } }]));
      reader.onEvent(
        chunk([
          {
            index: 2,
            delta: {
              tool_calls: [{ index: 0, id: "call_9", function: { name: "pick", arguments: '{"c":' } }],
            },
          },
        ]),
      );
      reader.onEvent(
        chunk([{ index: 2, delta: { tool_calls: [{ index: 0, function: { arguments: '"green"}' } }] } }]),
      );
      reader.onEvent(
        chunk([
          { index: 0, delta: {}, finish_reason: "stop" },
          { index: 1, delta: {}, finish_reason: "stop" },
          { index: 2, delta: {}, finish_reason: "tool_calls" },
        ]),
      );
      reader.onEvent("[DONE]");
      reader.end();
      return { kind: "completed" };
    });
    expect(output.map((block) => block.kind)).toEqual(["llm_text", "other", "other"]);
    expect(output[0]?.payload).toMatchObject({ text: "Red" });
    expect(output.slice(1).map((block) => block.payload)).toEqual([
      { type: CHOICE_BLOCK_TYPE, data: { index: 1, text: "Blue", finishReason: "stop" } },
      {
        type: CHOICE_BLOCK_TYPE,
        data: {
          index: 2,
          text: "",
          toolCalls: [{ id: "call_9", name: "pick", arguments: '{"c":"green"}' }],
          finishReason: "tool_calls",
        },
      },
    ]);
    const { body } = buildChatRequest(prepareTurn(newTurn([newUserTextBlock("Color?"), ...output]), []), {
      model: "gpt-4o-mini",
      stream: false,
    });
    expect(body.messages).toEqual([
      { role: "user", content: "Color?" },
      { role: "assistant", content: "Red" },
    ]);
  });

  it("reads every choice of a whole response too", () => {
    const { output } = runStreamHandler("openai", (out) => {
      const reader = new ChatStreamReader(out);
      reader.completion({
        choices: [
          { index: 0, message: { content: "A" }, finish_reason: "stop" },
          { index: 1, message: { content: "B" }, finish_reason: "length" },
        ],
      });
      reader.end();
      return { kind: "completed" };
    });
    expect(output.map((block) => block.payload)).toEqual([
      { text: "A" },
      { type: CHOICE_BLOCK_TYPE, data: { index: 1, text: "B", finishReason: "length" } },
    ]);
  });
});

describe("OpenAI Chat logit bias", () => {
  it("is sent as logit_bias", () => {
    const prepared = prepareTurn(newTurn([newUserTextBlock("Hi")]), [], {
      provider: { key: KeyOpenAIInferenceConfig, defaults: { logitBias: { "50256": -100 } } },
    });
    const { body } = buildChatRequest(prepared, { model: "gpt-4o-mini", stream: false });
    expect(body.logit_bias).toEqual({ "50256": -100 });
  });

  it("a bias out of range or a key that is no token id is a CallerError naming it", () => {
    expect(() =>
      createOpenAIChatEngine({ model: "m", apiKey: "k", openai: { logitBias: { "12": 101 } } }),
    ).toThrow(CallerError);
    expect(() =>
      createOpenAIChatEngine({ model: "m", apiKey: "k", openai: { logitBias: { word: 1 } } }),
    ).toThrow("createOpenAIChatEngine: openai.logitBias.word: key must be a token id (digits)");
  });
});
