/**
 * The OpenAI Chat Completions wire as the contract suite sees it (OpenAI and every OpenAI-compatible profile).
 *
 * Test support only: nothing here is exported from the package.
 */
import { KeyOpenAIInferenceConfig } from "../../engine/inference-config.ts";
import { openAICompatibleProfile } from "../openai/descriptor.ts";
import type { ContractProtocol } from "./protocol.ts";
import { CALL_IDS_SENT, parseMaybe, readMessages } from "./reading.ts";

/**
 * OpenAI's 400 body (Chat and Responses).
 *
 * @example
 * OPENAI_ERROR.providerCode // "invalid_value"
 */
export const OPENAI_ERROR: ContractProtocol["error"] = {
  body: {
    error: {
      message: "Invalid value for 'temperature': must be at most 2.",
      type: "invalid_request_error",
      param: "temperature",
      code: "invalid_value",
    },
  },
  providerType: "invalid_request_error",
  providerCode: "invalid_value",
};

/**
 * The values of OpenAI's own settings block the settings test sets (Chat and Responses).
 *
 * @example
 * OPENAI_CONFIG.n // 2
 */
export const OPENAI_CONFIG = {
  n: 2,
  presencePenalty: 0.5,
  frequencyPenalty: 0.4,
  store: false,
  serviceTier: "flex",
  user: "user-1",
  logitBias: { "50256": -100 },
};

/**
 * The OpenAI Chat wire.
 *
 * @example
 * openaiChatContract.maxTokensStopReason // "length"
 */
export const openaiChatContract: ContractProtocol = {
  model: "gpt-4o-mini",
  read: (body) => readMessages(body, parseMaybe),
  calls: () => CALL_IDS_SENT,
  // Policy: OpenAI's Chat Completions has no field for reasoning; it goes back only where a compatible
  // server's profile says the server takes it (OpenRouter's `reasoning`).
  sendsReasoningBack: (provider) => openAICompatibleProfile(provider)?.sendReasoning ?? false,
  maxTokensStopReason: "length",
  error: OPENAI_ERROR,
  toolRoundTrip: {
    messages: [
      { role: "user", content: "What is the weather in Paris?" },
      {
        role: "assistant",
        tool_calls: [
          {
            id: "call_weather_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_weather_1", content: '{"sky":"sunny"}' },
    ],
  },
  reasoningReplay: (reasoning, sendsBack) => ({ replayed: sendsBack ? [reasoning] : [] }),
  settings: {
    inference: {
      temperature: "temperature",
      topP: "top_p",
      maxResponseTokens: ["max_tokens", "max_completion_tokens"],
      stop: "stop",
      seed: "seed",
      thinkingBudget: "warn",
      reasoningEffort: ["reasoning_effort", "warn"],
      reasoningSummary: "warn",
      includeThoughts: "warn",
    },
    tools: {
      toolChoice: [{ toolChoice: "required" }, "tool_choice"],
      parallelToolCalls: [{ parallelToolCalls: false }, "parallel_tool_calls"],
      allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.function.name", value: "get_time" }],
    },
    own: [
      KeyOpenAIInferenceConfig,
      {
        n: [OPENAI_CONFIG.n, "n"],
        presencePenalty: [OPENAI_CONFIG.presencePenalty, "presence_penalty"],
        frequencyPenalty: [OPENAI_CONFIG.frequencyPenalty, "frequency_penalty"],
        store: [OPENAI_CONFIG.store, "store"],
        serviceTier: [OPENAI_CONFIG.serviceTier, "service_tier"],
        user: [OPENAI_CONFIG.user, "user"],
        logitBias: [OPENAI_CONFIG.logitBias, "logit_bias"],
      },
    ],
  },
};
