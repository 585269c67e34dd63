/**
 * The Gemini `generateContent` wire as the contract suite sees it. Gemini pairs calls and responses by name and
 * order: only ids Gemini itself gave go back.
 *
 * Test support only: nothing here is exported from the package.
 */
import { GEMINI_LOCAL_SIGNATURE } from "../../testing/provider-server/gemini.ts";
import { KeyGeminiCallId, KeyGeminiInferenceConfig } from "../gemini/descriptor.ts";
import type { ContractProtocol, WireView } from "./protocol.ts";
import { emptyView, type Json, ownCallId, records, withId } from "./reading.ts";

function readGemini(body: unknown): WireView {
  const view = emptyView();
  for (const content of records((body as Json).contents)) {
    for (const part of records(content.parts)) {
      const call = part.functionCall as Json | undefined;
      const response = part.functionResponse as Json | undefined;
      if (call) view.toolCalls.push(withId(call.id, { name: String(call.name), args: call.args }));
      else if (response) {
        const output = (response.response as Json).output ?? response.response;
        view.toolResults.push(withId(response.id, { name: String(response.name), output }));
      } else if (part.thought === true || (part.thoughtSignature !== undefined && part.text === "")) {
        view.reasoning.push(part);
      } else if (typeof part.text === "string" && content.role === "model") view.assistantText += part.text;
    }
  }
  return view;
}

/**
 * The Gemini wire.
 *
 * @example
 * geminiContract.maxTokensStopReason // "MAX_TOKENS"
 */
export const geminiContract: ContractProtocol = {
  model: "gemini-2.5-flash",
  read: readGemini,
  calls: (provider) => {
    const own = ownCallId(provider, KeyGeminiCallId);
    return {
      expectedCall: (call) => withId(own(call), { name: call.payload.name, args: call.payload.args }),
      expectedResult: (call) => withId(own(call), { name: call.payload.name }),
      keepsProviderCallIds: false,
    };
  },
  sendsReasoningBack: () => true,
  maxTokensStopReason: "MAX_TOKENS",
  error: {
    body: {
      error: {
        code: 400,
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "API_KEY_INVALID",
            domain: "googleapis.com",
          },
        ],
      },
    },
    // type = `status`, code = the ErrorInfo reason.
    providerType: "INVALID_ARGUMENT",
    providerCode: "API_KEY_INVALID",
  },
  toolRoundTrip: {
    contents: [
      { role: "user", parts: [{ text: "What is the weather in Paris?" }] },
      {
        role: "model",
        parts: [
          {
            functionCall: { name: "get_weather", args: { city: "Paris" } },
            thoughtSignature: GEMINI_LOCAL_SIGNATURE,
          },
        ],
      },
      {
        role: "user",
        parts: [{ functionResponse: { name: "get_weather", response: { output: { sky: "sunny" } } } }],
      },
    ],
  },
  // The signature came on the function call part and goes back on it.
  reasoningReplay: (reasoning) => ({
    replayed: [{ text: reasoning, thought: true }],
    body: {
      contents: [
        { role: "user" },
        {
          role: "model",
          parts: [
            { text: reasoning, thought: true },
            { functionCall: { name: "get_weather" }, thoughtSignature: GEMINI_LOCAL_SIGNATURE },
          ],
        },
        { role: "user" },
      ],
    },
  }),
  settings: {
    inference: {
      temperature: "generationConfig.temperature",
      topP: "generationConfig.topP",
      maxResponseTokens: "generationConfig.maxOutputTokens",
      stop: "generationConfig.stopSequences",
      seed: "generationConfig.seed",
      thinkingBudget: "generationConfig.thinkingConfig.thinkingBudget",
      reasoningEffort: "generationConfig.thinkingConfig.thinkingLevel",
      reasoningSummary: "warn",
      includeThoughts: "generationConfig.thinkingConfig.includeThoughts",
    },
    tools: {
      toolChoice: [
        { toolChoice: "required" },
        { path: "toolConfig.functionCallingConfig.mode", value: "ANY" },
      ],
      parallelToolCalls: [{ parallelToolCalls: false }, "warn"],
      allowedTools: [
        { allowedTools: ["get_time"] },
        { path: "tools.0.functionDeclarations.0.name", value: "get_time" },
      ],
    },
    own: [
      KeyGeminiInferenceConfig,
      {
        topK: [5, "generationConfig.topK"],
        presencePenalty: [0.5, "generationConfig.presencePenalty"],
        frequencyPenalty: [0.4, "generationConfig.frequencyPenalty"],
        safetySettings: [
          [{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }],
          "safetySettings",
        ],
        cachedContent: ["cachedContents/abc", "cachedContent"],
        responseModalities: [["TEXT"], "generationConfig.responseModalities"],
        mediaResolution: ["MEDIA_RESOLUTION_LOW", "generationConfig.mediaResolution"],
        streamFunctionCallArguments: [true, "toolConfig.functionCallingConfig.streamFunctionCallArguments"],
      },
    ],
  },
};
