/**
 * The OpenAI Chat Completions protocol: POST /v1/chat/completions, streamed (SSE chunks ending with
 * `data: [DONE]`, a usage chunk when `stream_options.include_usage`) or whole.
 */
import { argumentsText, splitInto, tokensOf } from "./script.ts";
import type { ProtocolModule, RecordedRequest, Reply, ScriptedReply } from "./types.ts";

interface ChatRequestBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

function requestBody(request: RecordedRequest): ChatRequestBody {
  return typeof request.body === "object" && request.body !== null ? (request.body as ChatRequestBody) : {};
}

function usageOf(script: ScriptedReply, completionTokens: number): Record<string, unknown> {
  const usage = script.usage ?? {};
  const prompt = usage.inputTokens ?? 10;
  const completion = usage.outputTokens ?? completionTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

function render(script: ScriptedReply, streaming: boolean, request: RecordedRequest): Reply {
  const body = requestBody(request);
  const model = script.model ?? body.model ?? "local-model";
  const id = "chatcmpl-local";
  const created = 1_700_000_000;
  const tokens = tokensOf(script);
  const toolCalls = (script.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_local_${index}`,
    name: call.name,
    arguments: argumentsText(call.arguments),
    chunks: call.chunks ?? 1,
  }));
  const finishReason = script.stopReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop");
  if (!streaming) {
    const message: Record<string, unknown> = {
      role: "assistant",
      content: tokens.length ? tokens.join("") : null,
    };
    if (script.reasoning) message.reasoning_content = script.reasoning;
    if (toolCalls.length > 0) {
      message.tool_calls = toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
      }));
    }
    const completion = {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message, finish_reason: finishReason }],
      usage: usageOf(script, tokens.length),
    };
    return {
      status: 200,
      headers: { "content-type": "application/json" },
      frames: [JSON.stringify(completion)],
    };
  }
  const prefix = `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[`;
  const frame = (choice: string): string => `data: ${prefix}${choice}]}\n\n`;
  const frames: string[] = [
    frame(`{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}`),
  ];
  if (script.reasoning) {
    for (const piece of tokensOf({ text: script.reasoning })) {
      frames.push(
        frame(`{"index":0,"delta":{"reasoning_content":${JSON.stringify(piece)}},"finish_reason":null}`),
      );
    }
  }
  for (const token of tokens) {
    frames.push(frame(`{"index":0,"delta":{"content":${JSON.stringify(token)}},"finish_reason":null}`));
  }
  toolCalls.forEach((call, index) => {
    const head = { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
    frames.push(frame(`{"index":0,"delta":{"tool_calls":[${JSON.stringify(head)}]},"finish_reason":null}`));
    for (const piece of splitInto(call.arguments, call.chunks)) {
      const delta = `{"index":${index},"function":{"arguments":${JSON.stringify(piece)}}}`;
      frames.push(frame(`{"index":0,"delta":{"tool_calls":[${delta}]},"finish_reason":null}`));
    }
  });
  frames.push(frame(`{"index":0,"delta":{},"finish_reason":"${finishReason}"}`));
  if (body.stream_options?.include_usage) {
    frames.push(`data: ${prefix}],"usage":${JSON.stringify(usageOf(script, tokens.length))}}\n\n`);
  }
  frames.push("data: [DONE]\n\n");
  return { status: 200, headers: { "content-type": "text/event-stream" }, frames };
}

/**
 * The OpenAI Chat Completions protocol module.
 *
 * @example
 * const server = await startProviderServer({ protocols: [openaiChatProtocol] });
 */
export const openaiChatProtocol: ProtocolModule = {
  name: "openai-chat",
  basePath: "/v1",
  matches: (method, path) =>
    method === "POST" && (path === "/v1/chat/completions" || path === "/chat/completions"),
  wantsStream: (request) => requestBody(request).stream === true,
  render,
  chunksTrailer: "data: [DONE]\n\n",
};
