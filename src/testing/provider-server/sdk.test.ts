/**
 * The local provider server is faithful enough for the official SDKs: the `openai` client (Chat Completions and
 * Responses, streaming and not) and `@anthropic-ai/sdk` (Messages, streaming and not) read text, tool calls and
 * reasoning from what it serves, including the SDKs' own stream accumulators (`finalResponse`, `finalMessage`).
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "./index.ts";

let server: ProviderServer;
beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(async () => {
  await server.close();
});

const script = {
  reasoning: "Check the weather tool.",
  text: "Let me look that up.",
  toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Oslo" } }],
};
const openai = () =>
  new OpenAI({ apiKey: "sdk-test", baseURL: server.baseURL("openai-chat"), maxRetries: 0 });
const anthropic = () =>
  new Anthropic({ apiKey: "sdk-test", baseURL: server.baseURL("anthropic"), maxRetries: 0 });
const weatherTool = {
  name: "get_weather",
  description: "Weather of a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("the openai SDK against the local server", () => {
  it("responses.stream().finalResponse() reads reasoning, text and a function call", async () => {
    server.respond({ script });
    const stream = openai().responses.stream({
      model: "gpt-5-mini",
      input: "Weather in Oslo?",
      tools: [{ type: "function", strict: true, ...weatherTool }],
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(script.text);
    const types = final.output.map((item) => item.type);
    expect(types).toEqual(["reasoning", "message", "function_call"]);
    const reasoning = final.output[0] as { summary: { text: string }[] };
    expect(reasoning.summary.map((part) => part.text)).toEqual([script.reasoning]);
    const call = final.output[2] as { name: string; arguments: string; call_id: string };
    expect([call.name, JSON.parse(call.arguments), call.call_id]).toEqual([
      "get_weather",
      { city: "Oslo" },
      "call_1",
    ]);
  });

  it("responses.create without streaming", async () => {
    server.respond({ script: { text: "Sunny." } });
    const response = await openai().responses.create({ model: "gpt-5-mini", input: "Weather?" });
    expect(response.output_text).toBe("Sunny.");
  });

  it("chat.completions streaming (accumulated by the SDK) and not", async () => {
    server.respond({ script });
    const stream = openai().chat.completions.stream({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather in Oslo?" }],
      tools: [{ type: "function", function: weatherTool }],
    });
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0]!.message;
    expect(message.content).toBe(script.text);
    expect(
      message.tool_calls?.map((call) => [call.id, call.type === "function" && call.function.name]),
    ).toEqual([["call_1", "get_weather"]]);
    server.respond({ script: { text: "Sunny." } });
    const whole = await openai().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather?" }],
    });
    expect(whole.choices[0]?.message.content).toBe("Sunny.");
  });
});

describe("the @anthropic-ai/sdk against the local server", () => {
  it("messages.stream().finalMessage() reads thinking, text and tool use", async () => {
    server.respond({ script });
    const message = await anthropic()
      .messages.stream({
        model: "claude-sonnet-4-5",
        max_tokens: 1024,
        thinking: { type: "enabled", budget_tokens: 1024 },
        messages: [{ role: "user", content: "Weather in Oslo?" }],
        tools: [
          {
            name: weatherTool.name,
            description: weatherTool.description,
            input_schema: { type: "object", properties: { city: { type: "string" } } },
          },
        ],
      })
      .finalMessage();
    const blocks = message.content.map((block) => block.type);
    expect(blocks).toEqual(["thinking", "text", "tool_use"]);
    expect(message.content[0]).toMatchObject({ thinking: script.reasoning, signature: expect.any(String) });
    expect(message.content[1]).toMatchObject({ text: script.text });
    expect(message.content[2]).toMatchObject({ id: "call_1", name: "get_weather", input: { city: "Oslo" } });
    expect(message.stop_reason).toBe("tool_use");
  });

  it("messages.create without streaming", async () => {
    server.respond({ script: { text: "Sunny." } });
    const message = await anthropic().messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "Weather?" }],
    });
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "Sunny." })]);
  });
});
