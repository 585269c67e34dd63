/**
 * The Anthropic Messages wire as the contract suite sees it.
 *
 * Test support only: nothing here is exported from the package.
 */
import { KeyClaudeInferenceConfig } from "../../engine/inference-config.ts";
import type { ContractProtocol, WireView } from "./protocol.ts";
import { CALL_IDS_SENT, emptyView, type Json, parseMaybe, records } from "./reading.ts";

function readAnthropic(body: unknown): WireView {
  const view = emptyView();
  for (const message of records((body as Json).messages)) {
    for (const block of records(message.content)) {
      if (block.type === "tool_use") {
        view.toolCalls.push({ id: String(block.id), name: String(block.name), args: block.input });
      } else if (block.type === "tool_result") {
        view.toolResults.push({ id: String(block.tool_use_id), output: parseMaybe(block.content) });
      } else if (block.type === "thinking" || block.type === "redacted_thinking") view.reasoning.push(block);
      else if (block.type === "text" && message.role === "assistant")
        view.assistantText += String(block.text);
    }
  }
  return view;
}

/**
 * The Anthropic wire.
 *
 * @example
 * anthropicContract.maxTokensStopReason // "max_tokens"
 */
export const anthropicContract: ContractProtocol = {
  model: "claude-sonnet-4-5",
  read: readAnthropic,
  calls: () => CALL_IDS_SENT,
  sendsReasoningBack: () => true,
  maxTokensStopReason: "max_tokens",
  error: {
    body: {
      type: "error",
      error: { type: "invalid_request_error", message: "max_tokens: Field required" },
    },
    providerType: "invalid_request_error",
  },
  toolRoundTrip: {
    messages: [
      { role: "user", content: [{ type: "text", text: "What is the weather in Paris?" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "call_weather_1", name: "get_weather", input: { city: "Paris" } }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "call_weather_1", content: '{"sky":"sunny"}' }],
      },
    ],
  },
  reasoningReplay: (reasoning) => ({
    replayed: [{ type: "thinking", thinking: reasoning, signature: "local-signature" }],
  }),
  settings: {
    inference: {
      temperature: "temperature",
      topP: "top_p",
      maxResponseTokens: "max_tokens",
      stop: "stop_sequences",
      seed: "warn",
      thinkingBudget: "thinking.budget_tokens",
      reasoningEffort: "warn",
      reasoningSummary: "warn",
      includeThoughts: "warn",
    },
    tools: {
      toolChoice: [{ toolChoice: "required" }, { path: "tool_choice.type", value: "any" }],
      parallelToolCalls: [
        { parallelToolCalls: false },
        { path: "tool_choice.disable_parallel_tool_use", value: true },
      ],
      allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.name", value: "get_time" }],
    },
    own: [
      KeyClaudeInferenceConfig,
      {
        userId: ["user-1", "metadata.user_id"],
        topK: [5, "top_k"],
        promptCaching: [true, { path: "messages.0.content.0.cache_control.type", value: "ephemeral" }],
      },
    ],
  },
};
