import { describe, expect, it } from "vitest";
import { CallerError } from "../../engine/errors.ts";
import {
  KeyInferenceConfig,
  KeyOpenAIInferenceConfig as KeyOpenAIConfigForTests,
  KeyOpenAIInferenceConfig,
  KeyToolConfig,
  type OpenAIInferenceConfig as OpenAIConfigForTests,
} from "../../engine/inference-config.ts";
import { KeyStructuredOutputConfig } from "../../engine/structured-output.ts";
import { ToolCatalogKey, type ToolDescription } from "../../engine/tools.ts";
import { RunContext } from "../../events/context.ts";
import {
  appendBlock,
  newAssistantTextBlock,
  newOtherBlock,
  newReasoningBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserMultimodalBlock,
  newUserTextBlock,
  pendingToolCalls,
} from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import { turnFromYaml, turnToYaml } from "../../turns/serialization.ts";
import type { Turn } from "../../turns/types.ts";
import { fixturePath, preparedBuilder, setupLocalServer } from "../test-support.ts";
import { createOpenAIResponsesEngine, OpenAIResponsesEngine } from "./engine.ts";
import {
  buildResponsesRequest as buildFromPrepared,
  isReasoningModel,
  type ResponsesRequestOptions,
} from "./request.ts";

const buildResponsesRequest = preparedBuilder<
  OpenAIConfigForTests,
  ResponsesRequestOptions & { openai?: OpenAIConfigForTests },
  ReturnType<typeof buildFromPrepared>
>(buildFromPrepared, KeyOpenAIConfigForTests, "openai");

const weather: ToolDescription = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
};
const withTools = RunContext.background().with(ToolCatalogKey, { toolsFor: () => [weather] });

function conversation(): Turn {
  const call = newToolCallBlock({ id: "call_1", name: "get_weather", args: { city: "Paris" } });
  (call.payload as { itemId?: string }).itemId = "fc_123";
  const text = newAssistantTextBlock("Let me look.");
  (text.payload as { itemId?: string }).itemId = "msg_456";
  return newTurn([
    newSystemTextBlock("Be brief."),
    newUserMultimodalBlock("What is this and what's the weather in Paris?", [
      { mediaType: "image/png", data: "iVBORw0KGgo=" },
      { mediaType: "image/jpeg", url: "https://example.com/a.jpg", detail: "low" },
    ]),
    newReasoningBlock({
      itemId: "rs_789",
      summary: ["Looking up weather."],
      encryptedContent: "gAAAA-secret",
    }),
    text,
    call,
    newToolUseBlock("call_1", { temperature: 21 }),
    newToolCallBlock({ id: "call_2", name: "get_weather", args: { city: "Nowhere" } }),
    newToolUseBlock("call_2", null, { error: "unknown city" }),
  ]);
}

describe("buildResponsesRequest", () => {
  it("maps a representative Turn to input items (golden)", () => {
    const engine = new OpenAIResponsesEngine({
      model: "gpt-5-mini",
      apiKey: "test",
      baseURL: "http://127.0.0.1:1",
    });
    const { body, warnings } = engine.buildRequest(conversation(), withTools);
    expect(warnings).toEqual([]);
    // Input items come as cached pieces; through JSON they are the plain body.
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      model: "gpt-5-mini",
      instructions: "Be brief.",
      stream: true,
      include: ["reasoning.encrypted_content"],
      input: [
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "What is this and what's the weather in Paris?" },
            { type: "input_image", detail: "auto", image_url: "data:image/png;base64,iVBORw0KGgo=" },
            { type: "input_image", detail: "low", image_url: "https://example.com/a.jpg" },
          ],
        },
        {
          type: "reasoning",
          id: "rs_789",
          summary: [{ type: "summary_text", text: "Looking up weather." }],
          encrypted_content: "gAAAA-secret",
        },
        {
          type: "message",
          role: "assistant",
          id: "msg_456",
          content: [{ type: "output_text", text: "Let me look.", annotations: [] }],
        },
        {
          type: "function_call",
          id: "fc_123",
          call_id: "call_1",
          name: "get_weather",
          arguments: '{"city":"Paris"}',
        },
        { type: "function_call_output", call_id: "call_1", output: '{"temperature":21}' },
        { type: "function_call", call_id: "call_2", name: "get_weather", arguments: '{"city":"Nowhere"}' },
        { type: "function_call_output", call_id: "call_2", output: '{"error":"unknown city"}' },
      ],
      tools: [
        {
          type: "function",
          name: "get_weather",
          description: "Weather for a city",
          parameters: weather.parameters,
          strict: true,
        },
      ],
    });
  });

  it("never sends a local block id as a provider id", () => {
    const turn = conversation();
    const { body } = buildResponsesRequest(turn, { model: "gpt-4.1", stream: true });
    const text = JSON.stringify(body);
    for (const block of turn.blocks) expect(text).not.toContain(block.id);
  });

  it("with store false keeps only reasoning item ids (message and call items are sent without theirs)", () => {
    const turn = KeyOpenAIInferenceConfig.set(conversation(), { store: false });
    const { body } = buildResponsesRequest(turn, { model: "gpt-5-mini", stream: true });
    const ids = body.input.filter((item) => item.id !== undefined).map((item) => [item.type, item.id]);
    expect(ids).toEqual([["reasoning", "rs_789"]]);
    expect(body.store).toBe(false);
  });

  it("drops reasoning and other blocks it cannot replay, with warnings", () => {
    const turn = newTurn([
      newUserTextBlock("hi"),
      newReasoningBlock({ text: "claude thinking", signature: "sig" }),
      newOtherBlock("anthropic.server_tool_use", { type: "server_tool_use" }),
    ]);
    const { body, warnings } = buildResponsesRequest(turn, { model: "gpt-4.1", stream: true });
    expect(body.input).toHaveLength(1);
    expect(warnings).toEqual([
      "turn.blocks[1] (reasoning): reasoning without an OpenAI reasoning item id was dropped",
      'turn.blocks[2] (other): block of type "anthropic.server_tool_use" is not sent to OpenAI Responses',
    ]);
  });

  it("drops reasoning made by another provider even when it looks replayable", () => {
    const foreign = KeyBlockMetaProvider.set(
      newReasoningBlock({ itemId: "rs_x", encryptedContent: "e" }),
      "openai",
    );
    const { body, warnings } = buildResponsesRequest(newTurn([newUserTextBlock("hi"), foreign]), {
      model: "gpt-5",
      stream: true,
    });
    expect(body.input).toHaveLength(1);
    expect(warnings).toEqual(["turn.blocks[1] (reasoning): reasoning from openai was dropped"]);
  });

  it("omits sampling parameters for reasoning models and sends them otherwise", () => {
    const turn = KeyInferenceConfig.set(newTurn([newUserTextBlock("hi")]), {
      temperature: 0.3,
      topP: 0.9,
      maxResponseTokens: 200,
      reasoningEffort: "low",
      reasoningSummary: "auto",
    });
    const reasoning = buildResponsesRequest(turn, { model: "o3-mini", stream: true });
    expect(reasoning.body).not.toHaveProperty("temperature");
    expect(reasoning.body).not.toHaveProperty("top_p");
    expect(reasoning.body).toMatchObject({
      max_output_tokens: 200,
      reasoning: { effort: "low", summary: "auto" },
      include: ["reasoning.encrypted_content"],
    });
    expect(reasoning.warnings).toHaveLength(2);
    const plain = buildResponsesRequest(KeyInferenceConfig.set(turn, { temperature: 0.3, topP: 0.9 }), {
      model: "gpt-4.1",
      stream: false,
    });
    expect(plain.body).toMatchObject({ temperature: 0.3, top_p: 0.9, stream: false });
    expect(plain.body).not.toHaveProperty("include");
    expect(isReasoningModel("gpt-5-chat-latest")).toBe(false);
    expect(isReasoningModel("gpt-5.1-codex-max")).toBe(true);
  });

  it("resolves inference config per field: Turn.data over engine defaults", () => {
    const turn = KeyInferenceConfig.set(newTurn([newUserTextBlock("hi")]), { maxResponseTokens: 50 });
    const { body } = buildResponsesRequest(turn, {
      model: "gpt-4.1",
      stream: true,
      inference: { temperature: 0.2, maxResponseTokens: 999 },
    });
    expect(body).toMatchObject({ temperature: 0.2, max_output_tokens: 50 });
  });

  it("maps tool choice, allowed tools, parallelism, server tools and OpenAI settings", () => {
    let turn = KeyToolConfig.set(newTurn([newUserTextBlock("hi")]), {
      toolChoice: { name: "get_weather" },
      parallelToolCalls: false,
      allowedTools: ["get_weather"],
    });
    turn = KeyOpenAIInferenceConfig.set(turn, { store: false, serviceTier: "flex", user: "u-1" });
    const other: ToolDescription = { ...weather, name: "other_tool" };
    const { body } = buildResponsesRequest(turn, {
      model: "gpt-4.1",
      stream: true,
      tools: [weather, other],
      serverTools: [{ type: "web_search" }],
    });
    expect(body.tools!.map((tool) => tool.name ?? tool.type)).toEqual(["get_weather", "web_search"]);
    expect(body).toMatchObject({
      tool_choice: { type: "function", name: "get_weather" },
      parallel_tool_calls: false,
      store: false,
      service_tier: "flex",
      user: "u-1",
    });
    const disabled = buildResponsesRequest(KeyToolConfig.set(turn, { enabled: false }), {
      model: "gpt-4.1",
      stream: true,
      tools: [weather],
    });
    expect(disabled.body).not.toHaveProperty("tools");
  });

  it("maps structured output to text.format json_schema, and rejects an invalid required config", () => {
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    const turn = KeyStructuredOutputConfig.set(newTurn([newUserTextBlock("hi")]), { name: "answer", schema });
    expect(buildResponsesRequest(turn, { model: "gpt-4.1", stream: true }).body.text).toEqual({
      format: { type: "json_schema", name: "answer", schema, strict: true },
    });
    const invalid = KeyStructuredOutputConfig.set(turn, { name: "bad name!", schema, requireValid: true });
    expect(() => buildResponsesRequest(invalid, { model: "gpt-4.1", stream: true })).toThrow(CallerError);
  });
});

describe("OpenAI Responses round trip", () => {
  const server = setupLocalServer();

  it("a Turn from a recorded stream, saved as YAML and loaded, continues with everything the provider needs", async () => {
    server.enqueue(
      { fixture: fixturePath("openai-responses", "stream-reasoning-encrypted-function-call.chunks.txt") },
      { fixture: fixturePath("openai-responses", "stream-text.chunks.txt") },
    );
    const engine = createOpenAIResponsesEngine({
      model: "gpt-5.2",
      apiKey: "test-key-123",
      baseURL: server.baseURL("openai-responses"),
    });
    const first = await engine.runInference(newTurn([newUserTextBlock("What is the code?")]), withTools);
    const [call] = pendingToolCalls(first);
    const withResult = appendBlock(first, newToolUseBlock(call!.payload.id, "blue-42"));
    const reloaded = turnFromYaml(turnToYaml(withResult));
    expect(reloaded).toEqual(withResult);

    const second = await engine.runInference(reloaded, withTools);
    expect(second.blocks.at(-1)!.payload).toMatchObject({
      text: "Verification code for issue-11239 is blue-42.",
    });
    const input = (server.requests[1]!.body as { input: Record<string, unknown>[] }).input;
    const originalReasoning = first.blocks.find((block) => block.kind === "reasoning")!.payload as {
      encryptedContent: string;
    };
    expect(input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "What is the code?" }] },
      {
        type: "reasoning",
        id: "rs_017eebd5643f46d6016a4b35df548c819b98c75bcad2f28e4e",
        summary: [],
        encrypted_content: originalReasoning.encryptedContent,
      },
      {
        type: "function_call",
        id: "fc_017eebd5643f46d6016a4b35e00698819b8e15db8d3200f1b8",
        call_id: "call_wMUhph1s1bedjPJraJvGw62X",
        name: "lookupVerificationCode",
        arguments: '{"label":"issue-11239"}',
      },
      { type: "function_call_output", call_id: "call_wMUhph1s1bedjPJraJvGw62X", output: "blue-42" },
    ]);
  });
});
