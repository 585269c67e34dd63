/**
 * The Ollama `/api/chat` wire as the contract suite sees it. Ollama sends back only the ids it gave; tool results
 * name the tool (no id on the wire).
 *
 * Test support only: nothing here is exported from the package.
 */
import { KeyOllamaCallId, KeyOllamaInferenceConfig } from "../ollama/descriptor.ts";
import type { ContractProtocol } from "./protocol.ts";
import { ownCallId, readMessages, withId } from "./reading.ts";

/**
 * The Ollama wire.
 *
 * @example
 * ollamaContract.maxTokensStopReason // "length"
 */
export const ollamaContract: ContractProtocol = {
  model: "gpt-oss:20b",
  read: (body) => readMessages(body, (raw) => raw),
  calls: (provider) => {
    const own = ownCallId(provider, KeyOllamaCallId);
    return {
      expectedCall: (call) => withId(own(call), { name: call.payload.name, args: call.payload.args }),
      expectedResult: (call) => ({ name: call.payload.name }),
      keepsProviderCallIds: true,
    };
  },
  sendsReasoningBack: () => true,
  maxTokensStopReason: "length",
  // Ollama's error body is `{error: "<text>"}`: no type or code to read.
  error: { body: { error: 'invalid option provided: "num_predict" must be an integer' } },
  toolRoundTrip: {
    messages: [
      { role: "user", content: "What is the weather in Paris?" },
      {
        role: "assistant",
        tool_calls: [
          { id: "call_weather_1", function: { name: "get_weather", arguments: { city: "Paris" } } },
        ],
      },
      { role: "tool", content: '{"sky":"sunny"}', tool_name: "get_weather" },
    ],
  },
  reasoningReplay: (reasoning) => ({ replayed: [reasoning] }),
  settings: {
    inference: {
      temperature: "options.temperature",
      topP: "options.top_p",
      maxResponseTokens: "options.num_predict",
      stop: "options.stop",
      seed: "options.seed",
      thinkingBudget: { path: "think", value: true },
      reasoningEffort: "think",
      reasoningSummary: "warn",
      includeThoughts: "think",
    },
    tools: {
      toolChoice: [{ toolChoice: "none" }, { path: "tools", value: undefined }],
      parallelToolCalls: [{ parallelToolCalls: false }, "warn"],
      allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.function.name", value: "get_time" }],
    },
    own: [
      KeyOllamaInferenceConfig,
      {
        topK: [5, "options.top_k"],
        numCtx: [4096, "options.num_ctx"],
        keepAlive: ["5m", "keep_alive"],
        options: [{ mirostat: 1 }, { path: "options.mirostat", value: 1 }],
      },
    ],
  },
};
