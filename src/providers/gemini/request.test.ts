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
import {
  type GeminiInferenceConfig,
  KeyGeminiCallId,
  KeyGeminiInferenceConfig,
  KeyGeminiThoughtSignature,
  KeyGeminiTrailingSignature,
} from "./descriptor.ts";
import {
  buildGeminiRequest as buildFromPrepared,
  FOREIGN_CALL_SIGNATURE,
  type GeminiRequestOptions,
  geminiPath,
} from "./request.ts";

const buildGeminiRequest = preparedBuilder<
  GeminiInferenceConfig,
  GeminiRequestOptions & { gemini?: GeminiInferenceConfig },
  ReturnType<typeof buildFromPrepared>
>(buildFromPrepared, KeyGeminiInferenceConfig, "gemini");

const TOOLS: ToolDescription[] = [
  {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
  { name: "get_time", description: "The time", parameters: {} },
];

function from<B extends Block>(provider: string, block: B): B {
  return KeyBlockMetaProvider.set(block, provider) as B;
}

describe("buildGeminiRequest", () => {
  it("maps system, user text and images, and the generation config (golden)", () => {
    let turn = newTurn([
      newSystemTextBlock("Be brief."),
      newUserMultimodalBlock("What is in these?", [
        { mediaType: "image/png", data: "iVBORw0KGgo=" },
        { mediaType: "image/jpeg", url: "https://example.com/cat.jpg" },
        { mediaType: "application/pdf", fileId: "files/abc123" },
      ]),
    ]);
    turn = KeyInferenceConfig.set(turn, {
      temperature: 0.3,
      topP: 0.9,
      maxResponseTokens: 256,
      stop: ["END"],
      seed: 7,
      thinkingBudget: 1024,
      includeThoughts: true,
    });
    turn = KeyGeminiInferenceConfig.set(turn, {
      topK: 40,
      safetySettings: [{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }],
    });
    const { body, warnings } = buildGeminiRequest(turn);
    expect(warnings).toEqual([]);
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        {
          role: "user",
          parts: [
            { text: "What is in these?" },
            { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
            { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/cat.jpg" } },
            {
              fileData: {
                mimeType: "application/pdf",
                fileUri: "https://generativelanguage.googleapis.com/v1beta/files/abc123",
              },
            },
          ],
        },
      ],
      generationConfig: {
        temperature: 0.3,
        topP: 0.9,
        topK: 40,
        maxOutputTokens: 256,
        stopSequences: ["END"],
        seed: 7,
        thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
      },
      safetySettings: [{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }],
    });
  });

  it("per-turn config wins per field over engine defaults", () => {
    const turn = KeyInferenceConfig.set(newTurn([newUserTextBlock("hi")]), { temperature: 0.1 });
    const { body } = buildGeminiRequest(turn, { inference: { temperature: 1, maxResponseTokens: 99 } });
    expect(body.generationConfig).toEqual({ temperature: 0.1, maxOutputTokens: 99 });
  });

  it("maps reasoning effort to thinkingLevel, none to a zero budget, and warns when both are set", () => {
    const effort = (reasoningEffort: "none" | "low" | "medium" | "xhigh") =>
      buildGeminiRequest(KeyInferenceConfig.set(newTurn([newUserTextBlock("hi")]), { reasoningEffort })).body
        .generationConfig;
    expect(effort("low")).toEqual({ thinkingConfig: { thinkingLevel: "low" } });
    expect(effort("medium")).toEqual({ thinkingConfig: { thinkingLevel: "medium" } });
    expect(effort("xhigh")).toEqual({ thinkingConfig: { thinkingLevel: "high" } });
    expect(effort("none")).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    const both = buildGeminiRequest(
      KeyInferenceConfig.set(newTurn([newUserTextBlock("hi")]), {
        reasoningEffort: "high",
        thinkingBudget: 10,
      }),
    );
    expect(both.body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 10 } });
    expect(both.warnings[0]).toMatch(/reasoningEffort not sent/);
  });

  it("asks for JSON with the schema for structured output", () => {
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    const turn = KeyStructuredOutputConfig.set(newTurn([newUserTextBlock("hi")]), { name: "reply", schema });
    expect(buildGeminiRequest(turn).body.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
    const invalid = KeyStructuredOutputConfig.set(newTurn([newUserTextBlock("hi")]), {
      name: "bad name!",
      schema,
    });
    const ignored = buildGeminiRequest(invalid);
    expect(ignored.body.generationConfig).toBeUndefined();
    expect(ignored.warnings[0]).toMatch(/structured output config ignored/);
  });

  it("declares tools and maps tool choice to functionCallingConfig", () => {
    const turn = newTurn([newUserTextBlock("hi")]);
    const choose = (toolConfig: object) =>
      buildGeminiRequest(KeyToolConfig.set(turn, toolConfig), { tools: TOOLS }).body;
    const auto = choose({});
    expect(auto.tools).toEqual([
      {
        functionDeclarations: [
          { name: "get_weather", description: "Weather for a city", parameters: TOOLS[0]!.parameters },
          { name: "get_time", description: "The time" },
        ],
      },
    ]);
    expect(auto.toolConfig).toBeUndefined();
    expect(choose({ toolChoice: "auto" }).toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });
    expect(choose({ toolChoice: "none" }).toolConfig).toEqual({ functionCallingConfig: { mode: "NONE" } });
    expect(choose({ toolChoice: "required" }).toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } });
    expect(choose({ toolChoice: { name: "get_time" } }).toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_time"] },
    });
    const allowed = choose({ toolChoice: "required", allowedTools: ["get_weather"] });
    expect((allowed.tools![0] as { functionDeclarations: unknown[] }).functionDeclarations).toHaveLength(1);
    expect(allowed.toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] },
    });
    expect(choose({ enabled: false }).tools).toBeUndefined();
    expect(() => choose({ toolChoice: { name: "nope" } })).toThrow(CallerError);
  });

  it("sends function calls and responses, merging parallel ones, with names looked up from the call", () => {
    const turn = newTurn([
      newUserTextBlock("weather in Paris and the time?"),
      from("gemini", newToolCallBlock({ id: "gemini_r_0", name: "get_weather", args: { city: "Paris" } })),
      from("gemini", newToolCallBlock({ id: "gemini_r_1", name: "get_time", args: {} })),
      newToolUseBlock("gemini_r_0", { temperature: 21 }),
      newToolUseBlock("gemini_r_1", "", { name: "get_time", error: "clock broken" }),
    ]);
    expect(buildGeminiRequest(turn).body.contents).toEqual([
      { role: "user", parts: [{ text: "weather in Paris and the time?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "get_weather", args: { city: "Paris" } } },
          { functionCall: { name: "get_time", args: {} } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_weather", response: { output: { temperature: 21 } } } },
          { functionResponse: { name: "get_time", response: { error: "clock broken" } } },
        ],
      },
    ]);
  });

  it("sends ids only when Gemini gave them", () => {
    const call = KeyGeminiCallId.set(
      from("gemini", newToolCallBlock({ id: "fc_1", name: "get_time", args: {} })),
      "fc_1",
    );
    const turn = newTurn([newUserTextBlock("time?"), call, newToolUseBlock("fc_1", "noon")]);
    const [, model, user] = buildGeminiRequest(turn).body.contents;
    expect(model!.parts[0]).toEqual({ functionCall: { id: "fc_1", name: "get_time", args: {} } });
    expect(user!.parts[0]).toEqual({
      functionResponse: { id: "fc_1", name: "get_time", response: { output: "noon" } },
    });
  });

  it("puts thought signatures back on their parts", () => {
    let text = from("gemini", newAssistantTextBlock("Hello"));
    text = KeyGeminiThoughtSignature.set(text, "sig-text") as typeof text;
    let call = from("gemini", newToolCallBlock({ id: "gemini_r_0", name: "get_time", args: {} }));
    call = KeyGeminiThoughtSignature.set(call, "sig-call") as typeof call;
    call = KeyGeminiTrailingSignature.set(call, "sig-trailing") as typeof call;
    const thought: Block = from("gemini", {
      id: "r1",
      kind: "reasoning",
      role: "assistant",
      payload: { text: "thinking", signature: "sig-thought" },
      metadata: {},
    });
    const turn = newTurn([newUserTextBlock("hi"), thought, text, call]);
    expect(buildGeminiRequest(turn).body.contents[1]).toEqual({
      role: "model",
      parts: [
        { text: "thinking", thought: true, thoughtSignature: "sig-thought" },
        { text: "Hello", thoughtSignature: "sig-text" },
        { functionCall: { name: "get_time", args: {} }, thoughtSignature: "sig-call" },
        { text: "", thoughtSignature: "sig-trailing" },
      ],
    });
  });

  it("drops reasoning and other blocks of other providers with warnings, keeps their tool calls", () => {
    const turn = newTurn([
      newUserTextBlock("hi"),
      from("anthropic", {
        id: "r1",
        kind: "reasoning",
        role: "assistant",
        payload: { text: "hmm", signature: "anthropic-sig" },
        metadata: {},
      }),
      from("openai", newToolCallBlock({ id: "call_abc", name: "get_time", args: {} })),
      newToolUseBlock("call_abc", "noon"),
      from("openai-responses", {
        id: "o1",
        kind: "other",
        payload: { type: "openai.web_search", data: {} },
        metadata: {},
      }),
    ]);
    const { body, warnings } = buildGeminiRequest(turn);
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "hi" }] },
      { role: "model", parts: [{ functionCall: { name: "get_time", args: {} } }] },
      { role: "user", parts: [{ functionResponse: { name: "get_time", response: { output: "noon" } } }] },
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/turn\.blocks\[1\]: reasoning from anthropic was dropped/);
  });

  it("signs another provider's first call of a step with the placeholder on Gemini 3 models only", () => {
    const turn = newTurn([
      newUserTextBlock("time?"),
      from("openai", newToolCallBlock({ id: "call_a", name: "get_time", args: {} })),
      from("openai", newToolCallBlock({ id: "call_b", name: "get_time", args: {} })),
      newToolUseBlock("call_a", "noon"),
      newToolUseBlock("call_b", "noon"),
    ]);
    const model = (name: string) => buildGeminiRequest(turn, { model: name }).body.contents[1]!.parts;
    expect(model("gemini-3-pro-preview")).toEqual([
      { functionCall: { name: "get_time", args: {} }, thoughtSignature: FOREIGN_CALL_SIGNATURE },
      { functionCall: { name: "get_time", args: {} } },
    ]);
    expect(model("gemini-2.5-flash")[0]!.thoughtSignature).toBeUndefined();
  });

  it("names the block when a tool result has no tool name to send", () => {
    const turn = newTurn([newUserTextBlock("hi"), newToolUseBlock("call_missing", "x")]);
    expect(() => buildGeminiRequest(turn)).toThrow(/turn\.blocks\[1\] \(tool_use "call_missing"\)/);
  });
});

describe("geminiPath", () => {
  it("builds the method paths", () => {
    expect(geminiPath("gemini-2.5-flash", "sse")).toBe(
      "/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    );
    expect(geminiPath("gemini-2.5-flash", "json-array")).toBe(
      "/models/gemini-2.5-flash:streamGenerateContent",
    );
    expect(geminiPath("tunedModels/mine", "none")).toBe("/tunedModels/mine:generateContent");
  });
});
