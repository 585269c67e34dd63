/**
 * The Ollama protocol: POST /api/chat, streamed as NDJSON (the default; `"stream": false` asks for one JSON
 * object). Scripted answers render `message.thinking` pieces, `message.content` pieces, `message.tool_calls`
 * (object arguments, in one line, as Ollama sends them) and a final `done: true` line with `done_reason`, token
 * counts and durations.
 */
import { argumentsText, tokensOf } from "./script.ts";
import type { ProtocolModule, RecordedRequest, Reply, ScriptedReply } from "./types.ts";

interface ChatRequestBody {
  model?: string;
  stream?: boolean;
}

function requestBody(request: RecordedRequest): ChatRequestBody {
  return typeof request.body === "object" && request.body !== null ? (request.body as ChatRequestBody) : {};
}

const CREATED_AT = "2026-01-01T00:00:00.000000Z";

function render(script: ScriptedReply, streaming: boolean, request: RecordedRequest): Reply {
  const model = script.model ?? requestBody(request).model ?? "local-model";
  const tokens = tokensOf(script);
  const thinking = script.reasoning ? tokensOf({ text: script.reasoning }) : [];
  const toolCalls = (script.toolCalls ?? []).map((call, index) => ({
    ...(call.id ? { id: call.id } : {}),
    function: {
      index,
      name: call.name,
      arguments: JSON.parse(argumentsText(call.arguments) || "{}") as Record<string, unknown>,
    },
  }));
  const usage = script.usage ?? {};
  const final = {
    done: true,
    done_reason: script.stopReason ?? "stop",
    total_duration: 1_000_000,
    load_duration: 100_000,
    prompt_eval_count: usage.inputTokens ?? 10,
    prompt_eval_duration: 200_000,
    eval_count: usage.outputTokens ?? tokens.length + thinking.length,
    eval_duration: 700_000,
  };
  const line = (message: Record<string, unknown>, extra: Record<string, unknown> = { done: false }): string =>
    `${JSON.stringify({ model, created_at: CREATED_AT, message: { role: "assistant", ...message }, ...extra })}\n`;
  if (!streaming) {
    const message: Record<string, unknown> = { content: tokens.join("") };
    if (thinking.length > 0) message.thinking = thinking.join("");
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return { status: 200, headers: { "content-type": "application/json" }, frames: [line(message, final)] };
  }
  const frames: string[] = [];
  for (const piece of thinking) frames.push(line({ content: "", thinking: piece }));
  for (const piece of tokens) frames.push(line({ content: piece }));
  if (toolCalls.length > 0) frames.push(line({ content: "", tool_calls: toolCalls }));
  frames.push(line({ content: "" }, final));
  return { status: 200, headers: { "content-type": "application/x-ndjson" }, frames };
}

/**
 * The Ollama protocol module.
 *
 * @example
 * const server = await startProviderServer({ response: { fixture: "ollama/chat-stream.jsonl" } });
 * const engine = createOllamaEngine({ model: "gemma3:1b", baseURL: server.baseURL("ollama") });
 */
export const ollamaProtocol: ProtocolModule = {
  name: "ollama",
  basePath: "",
  matches: (method, path) => method === "POST" && path === "/api/chat",
  wantsStream: (request) => requestBody(request).stream !== false,
  render,
  frameChunk: (line) => `${line}\n`,
  streamContentType: "application/x-ndjson",
};
