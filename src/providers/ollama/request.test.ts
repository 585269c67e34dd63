import { describe, expect, it } from "vitest";
import { CallerError } from "../../engine/errors.ts";
import { KeyInferenceConfig, KeyToolConfig } from "../../engine/inference-config.ts";
import { KeyStructuredOutputConfig } from "../../engine/structured-output.ts";
import type { ToolDescription } from "../../engine/tools.ts";
import {
  newAssistantTextBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserMultimodalBlock,
  newUserTextBlock,
} from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Block } from "../../turns/types.ts";
import { preparedBuilder } from "../test-support.ts";
import { KeyOllamaCallId, KeyOllamaInferenceConfig, type OllamaInferenceConfig } from "./descriptor.ts";
import { buildOllamaRequest as buildFromPrepared, type OllamaRequestOptions, thinkFor } from "./request.ts";

const buildOllamaRequest = preparedBuilder<
  OllamaInferenceConfig,
  OllamaRequestOptions & { ollama?: OllamaInferenceConfig },
  ReturnType<typeof buildFromPrepared>
>(buildFromPrepared, KeyOllamaInferenceConfig, "ollama");

const TOOLS: ToolDescription[] = [
  {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
  { name: "get_time", description: "The time", parameters: { type: "object", properties: {} } },
];

function from<B extends Block>(provider: string, block: B): B {
  return KeyBlockMetaProvider.set(block, provider) as B;
}

const base = { model: "qwen3:8b", stream: true };

describe("buildOllamaRequest", () => {
  it("maps messages, images, options, think, format and keep_alive (golden)", () => {
    let turn = newTurn([
      newSystemTextBlock("Be brief."),
      newUserMultimodalBlock("What is this?", [
        { mediaType: "image/png", data: "iVBORw0KGgo=" },
        { mediaType: "image/png", url: "https://example.com/a.png" },
      ]),
    ]);
    turn = KeyInferenceConfig.set(turn, {
      temperature: 0.2,
      topP: 0.8,
      maxResponseTokens: 128,
      seed: 3,
      stop: ["</s>"],
      reasoningEffort: "medium",
    });
    turn = KeyOllamaInferenceConfig.set(turn, {
      topK: 20,
      numCtx: 8192,
      keepAlive: "10m",
      options: { min_p: 0.05 },
    });
    const schema = { type: "object", properties: { answer: { type: "string" } } };
    turn = KeyStructuredOutputConfig.set(turn, { name: "reply", schema });
    const { body, warnings } = buildOllamaRequest(turn, base);
    expect(body).toEqual({
      model: "qwen3:8b",
      stream: true,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is this?", images: ["iVBORw0KGgo="] },
      ],
      think: "medium",
      format: schema,
      options: {
        min_p: 0.05,
        temperature: 0.2,
        top_p: 0.8,
        top_k: 20,
        num_ctx: 8192,
        num_predict: 128,
        seed: 3,
        stop: ["</s>"],
      },
      keep_alive: "10m",
    });
    expect(warnings).toEqual(["turn.blocks[1].payload.images[1]: Ollama takes base64 images only; dropped"]);
  });

  it("maps thinking settings to think", () => {
    expect(thinkFor({ reasoningEffort: "none" })).toBe(false);
    expect(thinkFor({ reasoningEffort: "xhigh" })).toBe("high");
    expect(thinkFor({ thinkingBudget: 2048 })).toBe(true);
    expect(thinkFor({ thinkingBudget: 0 })).toBe(false);
    expect(thinkFor({ includeThoughts: true })).toBe(true);
    expect(thinkFor({})).toBeUndefined();
  });

  it("merges the assistant's thinking, text and tool calls into one message; tool results name their tool", () => {
    let call = from(
      "ollama",
      newToolCallBlock({ id: "call_1", name: "get_weather", args: { city: "Oslo" } }),
    );
    call = KeyOllamaCallId.set(call, "call_1") as typeof call;
    const turn = newTurn([
      newUserTextBlock("Weather in Oslo and the time?"),
      from("ollama", {
        id: "r",
        kind: "reasoning",
        role: "assistant",
        payload: { text: "Use tools." },
        metadata: {},
      }),
      from("ollama", newAssistantTextBlock("Checking.")),
      call,
      from("ollama", newToolCallBlock({ id: "ollama_x_1", name: "get_time", args: {} })),
      newToolUseBlock("call_1", { celsius: 4 }),
      newToolUseBlock("ollama_x_1", "", { error: "no clock" }),
    ]);
    expect(buildOllamaRequest(turn, base).body.messages).toEqual([
      { role: "user", content: "Weather in Oslo and the time?" },
      {
        role: "assistant",
        content: "Checking.",
        thinking: "Use tools.",
        tool_calls: [
          { id: "call_1", function: { name: "get_weather", arguments: { city: "Oslo" } } },
          { function: { name: "get_time", arguments: {} } },
        ],
      },
      { role: "tool", content: '{"celsius":4}', tool_name: "get_weather" },
      { role: "tool", content: '{"error":"no clock"}', tool_name: "get_time" },
    ]);
  });

  it("offers tools and applies the tool config", () => {
    const turn = newTurn([newUserTextBlock("hi")]);
    const request = (toolConfig: object) =>
      buildOllamaRequest(KeyToolConfig.set(turn, toolConfig), { ...base, tools: TOOLS });
    expect(request({}).body.tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather for a city",
          parameters: TOOLS[0]!.parameters,
        },
      },
      {
        type: "function",
        function: { name: "get_time", description: "The time", parameters: TOOLS[1]!.parameters },
      },
    ]);
    expect(request({ toolChoice: "none" }).body.tools).toBeUndefined();
    expect(request({ enabled: false }).body.tools).toBeUndefined();
    expect(request({ allowedTools: ["get_time"] }).body.tools).toHaveLength(1);
    const named = request({ toolChoice: { name: "get_time" } });
    expect(named.body.tools).toHaveLength(1);
    expect(named.warnings[0]).toMatch(/cannot force a tool/);
    expect(() => request({ toolChoice: { name: "nope" } })).toThrow(CallerError);
  });

  it("drops reasoning and other blocks from other providers with warnings", () => {
    const turn = newTurn([
      newUserTextBlock("hi"),
      from("anthropic", {
        id: "r",
        kind: "reasoning",
        role: "assistant",
        payload: { text: "x", signature: "s" },
        metadata: {},
      }),
      from("anthropic", newAssistantTextBlock("Hello")),
      {
        id: "o",
        kind: "other",
        payload: { type: "anthropic.web_search_tool_result", data: {} },
        metadata: {},
      },
    ]);
    const { body, warnings } = buildOllamaRequest(turn, base);
    expect(body.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "Hello" },
    ]);
    expect(warnings).toHaveLength(2);
  });
});
