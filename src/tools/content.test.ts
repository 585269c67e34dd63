import { describe, expect, it } from "vitest";
import { prepareTurn } from "../provider-kit/prepare.ts";
import { buildClaudeRequest } from "../providers/anthropic/request.ts";
import { buildGeminiRequest } from "../providers/gemini/request.ts";
import { buildOllamaRequest } from "../providers/ollama/request.ts";
import { messagesFromTurn } from "../providers/openai/request.ts";
import { buildResponsesRequest } from "../providers/openai-responses/request.ts";
import { newToolCallBlock, newToolUseBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { toolContent, toolContentOf, toolResultText } from "./content.ts";

const rich = toolContent(
  [
    { type: "text", text: "a chart" },
    { type: "image", mediaType: "image/png", data: "iVBORw0K" },
    { type: "resource_link", uri: "file:///data.csv", name: "data", mediaType: "text/csv" },
  ],
  { points: 3 },
);
const turn = newTurn([
  newUserTextBlock("draw"),
  newToolCallBlock({ id: "call_1", name: "chart", args: {} }),
  newToolUseBlock("call_1", rich, { name: "chart" }),
]);
const TEXT =
  'a chart\n[image image/png, 6 bytes]\n[resource link file:///data.csv (data) text/csv]\n{"points":3}';

describe("rich tool results", () => {
  it("are recognised, and rendered as text for text-only providers", () => {
    expect(toolContentOf(rich)).toBe(rich);
    expect(toolContentOf({ content: [] })).toBeUndefined();
    expect(toolResultText(rich)).toBe(TEXT);
    expect(toolResultText({ a: 1 })).toBe('{"a":1}');
  });

  it("go to Anthropic as text and image blocks", () => {
    const { body } = buildClaudeRequest(prepareTurn(turn, []), { model: "claude-test", stream: false });
    const result = body.messages
      .flatMap((message) => message.content)
      .find((block) => block.type === "tool_result");
    expect(result!.content).toEqual([
      { type: "text", text: "a chart" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0K" } },
      { type: "text", text: "[resource link file:///data.csv (data) text/csv]" },
      { type: "text", text: '{"points":3}' },
    ]);
  });

  it("go to OpenAI Responses as input_text and input_image parts when they hold an image, else as text", () => {
    const output = (value: typeof turn) =>
      (
        buildResponsesRequest(prepareTurn(value, []), { model: "gpt-4o", stream: false }).body.input as {
          type: string;
          output?: unknown;
        }[]
      ).find((item) => item.type === "function_call_output")!.output;
    expect(output(turn)).toEqual([
      { type: "input_text", text: "a chart" },
      { type: "input_image", image_url: "data:image/png;base64,iVBORw0K" },
      { type: "input_text", text: "[resource link file:///data.csv (data) text/csv]" },
      { type: "input_text", text: '{"points":3}' },
    ]);
    const textOnly = newTurn([
      newToolCallBlock({ id: "call_2", name: "note", args: {} }),
      newToolUseBlock("call_2", toolContent([{ type: "text", text: "noted" }]), { name: "note" }),
    ]);
    expect(output(textOnly)).toBe("noted");
  });

  it("go to OpenAI Chat, Gemini and Ollama as text", () => {
    expect(messagesFromTurn(turn).find((message) => message.role === "tool")!.content).toBe(TEXT);
    const gemini = buildGeminiRequest(prepareTurn(turn, []), { model: "gemini-test" }).body.contents.flatMap(
      (content) => content.parts,
    );
    expect(gemini.find((part) => "functionResponse" in part)).toMatchObject({
      functionResponse: { response: { output: TEXT } },
    });
    const ollama = buildOllamaRequest(prepareTurn(turn, []), { model: "llama", stream: false }).body.messages;
    expect(ollama.find((message) => message.role === "tool")!.content).toBe(TEXT);
  });
});
