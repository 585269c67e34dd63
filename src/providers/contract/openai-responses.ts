/**
 * The OpenAI Responses wire as the contract suite sees it.
 *
 * Test support only: nothing here is exported from the package.
 */
import { KeyOpenAIInferenceConfig } from "../../engine/inference-config.ts";
import { OPENAI_CONFIG, OPENAI_ERROR } from "./openai-chat.ts";
import type { ContractProtocol, WireView } from "./protocol.ts";
import { CALL_IDS_SENT, emptyView, type Json, parseMaybe, records } from "./reading.ts";

function readResponses(body: unknown): WireView {
  const view = emptyView();
  for (const item of records((body as Json).input)) {
    if (item.type === "function_call") {
      view.toolCalls.push({
        id: String(item.call_id),
        name: String(item.name),
        args: parseMaybe(item.arguments),
      });
    } else if (item.type === "function_call_output") {
      view.toolResults.push({ id: String(item.call_id), output: parseMaybe(item.output) });
    } else if (item.type === "reasoning") view.reasoning.push(item);
    else if (item.type === "message" && item.role === "assistant") {
      for (const part of records(item.content))
        if (typeof part.text === "string") view.assistantText += part.text;
    }
  }
  return view;
}

/**
 * The OpenAI Responses wire.
 *
 * @example
 * openaiResponsesContract.maxTokensStopReason // "max_output_tokens"
 */
export const openaiResponsesContract: ContractProtocol = {
  model: "gpt-5-mini",
  read: readResponses,
  calls: () => CALL_IDS_SENT,
  sendsReasoningBack: () => true,
  maxTokensStopReason: "max_output_tokens",
  error: OPENAI_ERROR,
  toolRoundTrip: {
    input: [
      {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "What is the weather in Paris?" }],
      },
      {
        type: "function_call",
        call_id: "call_weather_1",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
      },
      { type: "function_call_output", call_id: "call_weather_1", output: '{"sky":"sunny"}' },
    ],
  },
  reasoningReplay: (reasoning) => ({
    replayed: [
      {
        type: "reasoning",
        id: "rs_local_0",
        summary: [{ type: "summary_text", text: reasoning }],
        encrypted_content: "local-encrypted-reasoning",
      },
    ],
  }),
  settings: {
    // The contract model, gpt-5-mini, is a reasoning model: it rejects sampling parameters.
    inference: {
      temperature: "warn",
      topP: "warn",
      maxResponseTokens: "max_output_tokens",
      stop: "warn",
      seed: "warn",
      thinkingBudget: "reasoning.max_tokens",
      reasoningEffort: "reasoning.effort",
      reasoningSummary: "reasoning.summary",
      includeThoughts: "warn",
    },
    tools: {
      toolChoice: [{ toolChoice: "required" }, "tool_choice"],
      parallelToolCalls: [{ parallelToolCalls: false }, "parallel_tool_calls"],
      allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.name", value: "get_time" }],
    },
    own: [
      KeyOpenAIInferenceConfig,
      {
        n: [OPENAI_CONFIG.n, "warn"],
        presencePenalty: [OPENAI_CONFIG.presencePenalty, "warn"],
        frequencyPenalty: [OPENAI_CONFIG.frequencyPenalty, "warn"],
        store: [OPENAI_CONFIG.store, "store"],
        serviceTier: [OPENAI_CONFIG.serviceTier, "service_tier"],
        user: [OPENAI_CONFIG.user, "user"],
        logitBias: [OPENAI_CONFIG.logitBias, "warn"],
      },
    ],
  },
};
