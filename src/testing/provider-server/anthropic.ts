/**
 * The Anthropic Messages protocol: POST /v1/messages, streamed (SSE with `event:` lines: message_start,
 * content_block_start/delta/stop, ping, message_delta, message_stop) or whole (a message object). Scripted
 * answers render thinking (with a signature), text and tool_use blocks the way the API sends them.
 */
import { argumentsText, splitInto, tokensOf } from "./script.ts";
import type { ProtocolModule, RecordedRequest, Reply, ScriptedReply } from "./types.ts";

interface MessagesRequestBody {
  model?: string;
  stream?: boolean;
}

function requestBody(request: RecordedRequest): MessagesRequestBody {
  return typeof request.body === "object" && request.body !== null
    ? (request.body as MessagesRequestBody)
    : {};
}

function frameEvent(event: Record<string, unknown>): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

function render(script: ScriptedReply, streaming: boolean, request: RecordedRequest): Reply {
  const model = script.model ?? requestBody(request).model ?? "local-model";
  const tokens = tokensOf(script);
  const toolCalls = script.toolCalls ?? [];
  const stopReason = script.stopReason ?? (toolCalls.length > 0 ? "tool_use" : "end_turn");
  const inputTokens = script.usage?.inputTokens ?? 10;
  const outputTokens = script.usage?.outputTokens ?? tokens.length;
  const content: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  const message = { id: "msg_local", type: "message", role: "assistant", model };
  events.push({
    type: "message_start",
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 1 },
    },
  });
  if (script.reasoning) {
    const index = content.length;
    const block = { type: "thinking", thinking: script.reasoning, signature: "local-signature" };
    events.push({
      type: "content_block_start",
      index,
      content_block: { type: "thinking", thinking: "", signature: "" },
    });
    for (const thinking of tokensOf({ text: script.reasoning })) {
      events.push({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking } });
    }
    events.push({
      type: "content_block_delta",
      index,
      delta: { type: "signature_delta", signature: block.signature },
    });
    events.push({ type: "content_block_stop", index });
    content.push(block);
  }
  if (tokens.length > 0) {
    const index = content.length;
    events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
    events.push({ type: "ping" });
    for (const text of tokens)
      events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text } });
    events.push({ type: "content_block_stop", index });
    content.push({ type: "text", text: tokens.join("") });
  }
  toolCalls.forEach((call, callIndex) => {
    const index = content.length;
    const id = call.id ?? `toolu_local_${callIndex}`;
    const args = argumentsText(call.arguments);
    events.push({
      type: "content_block_start",
      index,
      content_block: { type: "tool_use", id, name: call.name, input: {} },
    });
    for (const partial_json of splitInto(args, call.chunks ?? 1)) {
      events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } });
    }
    events.push({ type: "content_block_stop", index });
    content.push({ type: "tool_use", id, name: call.name, input: JSON.parse(args || "{}") });
  });
  if (!streaming) {
    const whole = {
      ...message,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: outputTokens },
    };
    return { status: 200, headers: { "content-type": "application/json" }, frames: [JSON.stringify(whole)] };
  }
  events.push({
    type: "message_delta",
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: outputTokens },
  });
  events.push({ type: "message_stop" });
  return { status: 200, headers: { "content-type": "text/event-stream" }, frames: events.map(frameEvent) };
}

/**
 * The Anthropic Messages protocol module.
 *
 * @example
 * const server = await startProviderServer({ response: { fixture: "anthropic/stream-text.chunks.txt" } });
 * const engine = createClaudeEngine({ model: "claude-sonnet-4-5", apiKey: "test", baseURL: server.baseURL("anthropic") });
 */
export const anthropicProtocol: ProtocolModule = {
  name: "anthropic",
  basePath: "",
  matches: (method, path) => method === "POST" && path === "/v1/messages",
  wantsStream: (request) => requestBody(request).stream === true,
  render,
  frameChunk: (line) => {
    const type = /"type"\s*:\s*"([^"]+)"/.exec(line)?.[1];
    return type === undefined ? `data: ${line}\n\n` : `event: ${type}\ndata: ${line}\n\n`;
  },
};
