/** The toy wire as the contract suite sees it. */
import type { ContractProtocol } from "../../../providers/contract/protocol.ts";
import { CALL_IDS_SENT, emptyView, type Json, records } from "../../../providers/contract/reading.ts";

/** How the suites read a toy body, and what they expect on it. */
export const toyContract: ContractProtocol = {
  model: "toy-1",
  read(body) {
    const view = emptyView();
    for (const message of records((body as Json).messages)) {
      const call = message.call as Json | undefined;
      if (call) view.toolCalls.push({ id: String(call.id), name: String(call.name), args: call.args });
      else if (message.role === "tool")
        view.toolResults.push({ id: String(message.id), output: message.output });
      else if (message.role === "assistant") view.assistantText += String(message.text);
    }
    return view;
  },
  calls: () => CALL_IDS_SENT,
  sendsReasoningBack: () => false,
  maxTokensStopReason: "limit",
  error: {
    body: { error: { message: "model toy-0 does not exist", type: "not_found" } },
    providerType: "not_found",
  },
  toolRoundTrip: {
    messages: [
      { role: "user", text: "What is the weather in Paris?" },
      { role: "assistant", call: { id: "call_weather_1", name: "get_weather", args: { city: "Paris" } } },
      { role: "tool", id: "call_weather_1", output: { sky: "sunny" } },
    ],
  },
  reasoningReplay: () => ({ replayed: [] }),
  settings: {
    inference: {
      temperature: "temperature",
      topP: "warn",
      maxResponseTokens: "max_tokens",
      stop: "warn",
      seed: "warn",
      thinkingBudget: "warn",
      reasoningEffort: "warn",
      reasoningSummary: "warn",
      includeThoughts: "warn",
    },
    tools: {
      toolChoice: [{ toolChoice: "required" }, "warn"],
      parallelToolCalls: [{ parallelToolCalls: false }, "warn"],
      allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.name", value: "get_time" }],
    },
    own: null,
  },
  skips: { reasoning: "the toy wire has no reasoning" },
};
