import { describe, expect, it } from "vitest";
import { validateToolPairing } from "./pairing.ts";
import type { RecordedRequest } from "./types.ts";

const request = (protocol: string, body: unknown): RecordedRequest => ({
  protocol,
  method: "POST",
  path: "/",
  headers: {},
  body,
});
const messageOf = (refusal: ReturnType<typeof validateToolPairing>) => JSON.stringify(refusal?.body);

describe("validateToolPairing (the providers' HTTP 400 for unpaired tool calls)", () => {
  const chatCall = {
    role: "assistant",
    tool_calls: [{ id: "call_1", type: "function", function: { name: "f" } }],
  };
  it("OpenAI Chat: a call needs its tool message before the next message; a tool message needs its call", () => {
    expect(
      validateToolPairing(
        request("openai-chat", { messages: [chatCall, { role: "tool", tool_call_id: "call_1" }] }),
      ),
    ).toBeUndefined();
    const missing = validateToolPairing(
      request("openai-chat", { messages: [chatCall, { role: "user", content: "hi" }] }),
    );
    expect(missing?.status).toBe(400);
    expect(messageOf(missing)).toContain("did not have response messages: call_1");
    expect(
      messageOf(
        validateToolPairing(request("openai-chat", { messages: [{ role: "tool", tool_call_id: "x" }] })),
      ),
    ).toContain("must be a response to a preceeding message with 'tool_calls'");
  });

  it("OpenAI Responses: every function_call needs its output and every output its call", () => {
    const call = { type: "function_call", call_id: "call_1", name: "f", arguments: "{}" };
    const output = { type: "function_call_output", call_id: "call_1", output: "1" };
    expect(validateToolPairing(request("openai-responses", { input: [call, output] }))).toBeUndefined();
    expect(messageOf(validateToolPairing(request("openai-responses", { input: [call] })))).toContain(
      "No tool output found for function call call_1",
    );
    expect(messageOf(validateToolPairing(request("openai-responses", { input: [output] })))).toContain(
      "No tool call found",
    );
  });

  it("Anthropic: tool_use blocks need tool_result blocks in the very next message", () => {
    const use = { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "f", input: {} }] };
    const result = { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "1" }] };
    expect(validateToolPairing(request("anthropic", { messages: [use, result] }))).toBeUndefined();
    const refusal = validateToolPairing(
      request("anthropic", { messages: [use, { role: "user", content: "hi" }] }),
    );
    expect(refusal?.body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(messageOf(refusal)).toContain(
      "ids were found without `tool_result` blocks immediately after: toolu_1",
    );
    expect(messageOf(validateToolPairing(request("anthropic", { messages: [result] })))).toContain(
      "unexpected `tool_use_id`",
    );
  });

  it("Gemini: as many functionResponse parts as functionCall parts, in the next content", () => {
    const call = {
      role: "model",
      parts: [{ functionCall: { name: "f", args: {} } }, { functionCall: { name: "g", args: {} } }],
    };
    const one = { role: "user", parts: [{ functionResponse: { name: "f", response: {} } }] };
    const two = { role: "user", parts: [...one.parts, { functionResponse: { name: "g", response: {} } }] };
    expect(validateToolPairing(request("gemini", { contents: [call, two] }))).toBeUndefined();
    expect(validateToolPairing(request("gemini", { contents: [call, one] }))?.body).toMatchObject({
      error: { code: 400, status: "INVALID_ARGUMENT" },
    });
  });

  it("Ollama is held to the OpenAI Chat rule by count", () => {
    const call = {
      role: "assistant",
      tool_calls: [{ function: { name: "f" } }, { function: { name: "g" } }],
    };
    expect(
      validateToolPairing(request("ollama", { messages: [call, { role: "tool" }, { role: "tool" }] })),
    ).toBeUndefined();
    expect(
      validateToolPairing(request("ollama", { messages: [call, { role: "tool" }, { role: "user" }] }))
        ?.status,
    ).toBe(400);
  });
});
