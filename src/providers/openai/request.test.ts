import { describe, expect, it } from "vitest";
import {
  KeyInferenceConfig,
  KeyOpenAIInferenceConfig,
  KeyToolConfig,
} from "../../engine/inference-config.ts";
import { KeyStructuredOutputConfig } from "../../engine/structured-output.ts";
import { type ToolCatalog, ToolCatalogKey } from "../../engine/tools.ts";
import { RunContext } from "../../events/context.ts";
import {
  newAssistantTextBlock,
  newOtherBlock,
  newReasoningBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserMultimodalBlock,
  newUserTextBlock,
} from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Turn } from "../../turns/types.ts";
import { engineFactory, requestBodyFor, serverOptions, setupLocalServer } from "../test-support.ts";
import { createOpenAIChatEngine, type OpenAIChatEngineOptions } from "./engine.ts";
import { messagesFromTurn } from "./request.ts";

const KEY = "sk-test-engine-key-987654321";
const server = setupLocalServer();

const engine = engineFactory(createOpenAIChatEngine, () => ({
  model: "gpt-4o-mini",
  apiKey: KEY,
  ...serverOptions(server, "openai-chat"),
}));

const weatherTool: ToolCatalog = {
  toolsFor: (dialect) => [
    {
      name: "get_weather",
      description: "Weather for a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      ...(dialect === "openai-strict" ? { strict: true } : {}),
    },
    { name: "get_time", description: "Time now", parameters: { type: "object", properties: {} } },
  ],
};

function requestFor(
  turn: Turn,
  options: Partial<OpenAIChatEngineOptions> = {},
  ctx = RunContext.background(),
) {
  return requestBodyFor(engine(options), server, turn, ctx);
}

describe("golden requests", () => {
  it("maps a conversation with images, tool calls and tool results", async () => {
    const turn = newTurn([
      newSystemTextBlock("Be brief."),
      { ...newSystemTextBlock("Developer rules."), role: "developer" },
      newUserMultimodalBlock("What is this?", [
        { mediaType: "image/png", url: "https://example.com/a.png", detail: "low" },
        { mediaType: "image/jpeg", data: "AAAA" },
      ]),
      newReasoningBlock({ text: "not sent on chat completions" }),
      newAssistantTextBlock("Let me check."),
      newToolCallBlock({ id: "call_1", name: "get_weather", args: { city: "Paris" } }),
      newToolCallBlock({ id: "call_2", name: "get_time", args: {}, argsText: "{bad" }),
      newToolUseBlock("call_1", { temperature: 21 }),
      newToolUseBlock("call_2", null, { error: "invalid arguments" }),
      newUserTextBlock("Thanks"),
    ]);
    const body = await requestFor(turn);
    expect(body).toEqual({
      model: "gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: "Developer rules." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,AAAA" } },
          ],
        },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
            { id: "call_2", type: "function", function: { name: "get_time", arguments: "{bad" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"temperature":21}' },
        { role: "tool", tool_call_id: "call_2", content: "Error: invalid arguments" },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("maps tools, tool choice, parallel calls, structured output and settings (turn over engine defaults)", async () => {
    let turn = newTurn([newUserTextBlock("Weather?")]);
    turn = KeyToolConfig.set(turn, {
      toolChoice: { name: "get_weather" },
      parallelToolCalls: false,
      allowedTools: ["get_weather"],
    });
    turn = KeyInferenceConfig.set(turn, { temperature: 0.2, stop: ["END"] });
    turn = KeyOpenAIInferenceConfig.set(turn, { user: "u1" });
    turn = KeyStructuredOutputConfig.set(turn, {
      name: "answer",
      schema: { type: "object", properties: {} },
    });
    const ctx = RunContext.background().with(ToolCatalogKey, weatherTool);
    const body = await requestFor(
      turn,
      {
        stream: false,
        strictTools: true,
        inference: { temperature: 1, topP: 0.5, maxResponseTokens: 100, seed: 7 },
        openai: { presencePenalty: 0.1, serviceTier: "flex", user: "engine" },
      },
      ctx,
    );
    expect(body).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Weather for a city",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
            strict: true,
          },
        },
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", schema: { type: "object", properties: {} }, strict: true },
      },
      temperature: 0.2,
      top_p: 0.5,
      max_tokens: 100,
      stop: ["END"],
      seed: 7,
      presence_penalty: 0.1,
      service_tier: "flex",
      user: "u1",
    });
  });

  it("gives reasoning models max_completion_tokens, reasoning_effort and no sampling parameters", async () => {
    const body = await requestFor(newTurn([newUserTextBlock("Think")]), {
      model: "o4-mini",
      inference: {
        temperature: 0.5,
        topP: 0.9,
        maxResponseTokens: 500,
        reasoningEffort: "high",
        stop: ["x"],
      },
      openai: { frequencyPenalty: 0.3 },
    });
    expect(body).toMatchObject({ model: "o4-mini", max_completion_tokens: 500, reasoning_effort: "high" });
    for (const field of ["temperature", "top_p", "max_tokens", "frequency_penalty", "stop"]) {
      expect(body).not.toHaveProperty(field);
    }
  });

  it("sends no tools when the turn disables them", async () => {
    const turn = KeyToolConfig.set(newTurn([newUserTextBlock("Hi")]), {
      enabled: false,
      toolChoice: "required",
    });
    const body = await requestFor(turn, {}, RunContext.background().with(ToolCatalogKey, weatherTool));
    expect(body).not.toHaveProperty("tools");
    expect(body).not.toHaveProperty("tool_choice");
  });

  it("sends a kept refusal back as the assistant message's refusal", async () => {
    const turn = newTurn([
      newUserTextBlock("Do it"),
      newOtherBlock("openai.refusal", { text: "I can't." }),
      newUserTextBlock("Please"),
    ]);
    const body = await requestFor(turn);
    expect((body.messages as unknown[])[1]).toEqual({
      role: "assistant",
      content: null,
      refusal: "I can't.",
    });
  });

  it("names the block of an image it cannot send", async () => {
    const turn = newTurn([newUserMultimodalBlock("x", [{ mediaType: "image/png", fileId: "file_1" }])], {
      id: "t1",
    });
    await expect(engine().runInference(turn, RunContext.background())).rejects.toThrow(
      /turn t1 block 0 \(user\): image 0 has no url or data/,
    );
  });

  it("never sends reasoning: its own silently, another provider's and other blocks with a warning", () => {
    const own = KeyBlockMetaProvider.set(newReasoningBlock({ text: "own thoughts" }), "openai");
    const foreign = KeyBlockMetaProvider.set(
      newReasoningBlock({ text: "claude thoughts", signature: "sig" }),
      "anthropic",
    );
    const turn = newTurn([
      newUserTextBlock("Hi"),
      own,
      foreign,
      newOtherBlock("gemini.part", { executableCode: {} }),
      newAssistantTextBlock("Hello"),
    ]);
    const dropped: string[] = [];
    const messages = messagesFromTurn(turn, { onDroppedBlock: (message) => dropped.push(message) });
    expect(messages).toEqual([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
    ]);
    expect(dropped).toEqual([
      expect.stringMatching(/block 2 \(reasoning\): reasoning from anthropic was dropped$/),
      expect.stringMatching(/block 3 \(other\): block of type "gemini.part" is not sent$/),
    ]);
  });
});
