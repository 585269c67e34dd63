/**
 * The OpenAI Responses protocol: POST /v1/responses, streamed (SSE with `event:` lines, `response.*` events) or
 * whole (a response object). Scripted answers render reasoning (summary + encrypted content), text and function
 * calls the way the API sends them; a `stopReason` of `max_output_tokens` renders an incomplete response.
 */
import { argumentsText, splitInto, tokensOf } from "./script.ts";
import type { ProtocolModule, RecordedRequest, Reply, ScriptedReply } from "./types.ts";

interface ResponsesRequestBody {
  model?: string;
  stream?: boolean;
}

function requestBody(request: RecordedRequest): ResponsesRequestBody {
  return typeof request.body === "object" && request.body !== null
    ? (request.body as ResponsesRequestBody)
    : {};
}

function usageOf(script: ScriptedReply, outputTokens: number): Record<string, unknown> {
  const usage = script.usage ?? {};
  const input = usage.inputTokens ?? 10;
  const output = usage.outputTokens ?? outputTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: input + output,
  };
}

/** Frames one event with its `event:` line, as the API does. */
function frameEvent(event: Record<string, unknown>): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

function render(script: ScriptedReply, streaming: boolean, request: RecordedRequest): Reply {
  const model = script.model ?? requestBody(request).model ?? "local-model";
  const id = "resp_local";
  const tokens = tokensOf(script);
  const incomplete = script.stopReason === "max_output_tokens";
  const status = incomplete ? "incomplete" : (script.stopReason ?? "completed");
  const output: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  const base = { id, object: "response", created_at: 1_700_000_000, model };
  events.push({ type: "response.created", response: { ...base, status: "in_progress", output: [] } });

  if (script.reasoning) {
    const index = output.length;
    const itemId = `rs_local_${index}`;
    const item = {
      id: itemId,
      type: "reasoning",
      summary: [{ type: "summary_text", text: script.reasoning }],
      encrypted_content: "local-encrypted-reasoning",
    };
    events.push({ type: "response.output_item.added", output_index: index, item: { ...item, summary: [] } });
    events.push({
      type: "response.reasoning_summary_part.added",
      item_id: itemId,
      output_index: index,
      summary_index: 0,
      part: { type: "summary_text", text: "" },
    });
    for (const delta of tokensOf({ text: script.reasoning })) {
      events.push({
        type: "response.reasoning_summary_text.delta",
        item_id: itemId,
        output_index: index,
        summary_index: 0,
        delta,
      });
    }
    const summaryPosition = { item_id: itemId, output_index: index, summary_index: 0 };
    events.push({ type: "response.reasoning_summary_text.done", ...summaryPosition, text: script.reasoning });
    events.push({
      type: "response.reasoning_summary_part.done",
      ...summaryPosition,
      part: { type: "summary_text", text: script.reasoning },
    });
    events.push({ type: "response.output_item.done", output_index: index, item });
    output.push(item);
  }
  if (tokens.length > 0) {
    const index = output.length;
    const itemId = `msg_local_${index}`;
    const text = tokens.join("");
    const item = {
      id: itemId,
      type: "message",
      role: "assistant",
      status: incomplete ? "incomplete" : "completed",
      content: [{ type: "output_text", text, annotations: [] }],
    };
    events.push({
      type: "response.output_item.added",
      output_index: index,
      item: { ...item, status: "in_progress", content: [] },
    });
    const partPosition = { item_id: itemId, output_index: index, content_index: 0 };
    events.push({
      type: "response.content_part.added",
      ...partPosition,
      part: { type: "output_text", text: "", annotations: [] },
    });
    for (const delta of tokens) {
      events.push({
        type: "response.output_text.delta",
        item_id: itemId,
        output_index: index,
        content_index: 0,
        delta,
      });
    }
    events.push({
      type: "response.output_text.done",
      item_id: itemId,
      output_index: index,
      content_index: 0,
      text,
    });
    events.push({
      type: "response.content_part.done",
      ...partPosition,
      part: { type: "output_text", text, annotations: [] },
    });
    events.push({ type: "response.output_item.done", output_index: index, item });
    output.push(item);
  }
  (script.toolCalls ?? []).forEach((call, callIndex) => {
    const index = output.length;
    const itemId = `fc_local_${index}`;
    const args = argumentsText(call.arguments);
    const item = {
      id: itemId,
      type: "function_call",
      status: "completed",
      call_id: call.id ?? `call_local_${callIndex}`,
      name: call.name,
      arguments: args,
    };
    events.push({
      type: "response.output_item.added",
      output_index: index,
      item: { ...item, status: "in_progress", arguments: "" },
    });
    for (const delta of splitInto(args, call.chunks ?? 1)) {
      events.push({
        type: "response.function_call_arguments.delta",
        item_id: itemId,
        output_index: index,
        delta,
      });
    }
    events.push({
      type: "response.function_call_arguments.done",
      item_id: itemId,
      output_index: index,
      arguments: args,
    });
    events.push({ type: "response.output_item.done", output_index: index, item });
    output.push(item);
  });

  const final: Record<string, unknown> = { ...base, status, output, usage: usageOf(script, tokens.length) };
  if (incomplete) final.incomplete_details = { reason: "max_output_tokens" };
  if (!streaming)
    return { status: 200, headers: { "content-type": "application/json" }, frames: [JSON.stringify(final)] };
  events.push({ type: incomplete ? "response.incomplete" : "response.completed", response: final });
  const frames = events.map((event, sequence) => frameEvent({ ...event, sequence_number: sequence }));
  return { status: 200, headers: { "content-type": "text/event-stream" }, frames };
}

/**
 * The OpenAI Responses protocol module.
 *
 * @example
 * const server = await startProviderServer({ response: { fixture: "openai-responses/stream-text.chunks.txt" } });
 * const engine = createOpenAIResponsesEngine({ model: "gpt-5", apiKey: "test", baseURL: server.baseURL("openai-responses") });
 */
export const openaiResponsesProtocol: ProtocolModule = {
  name: "openai-responses",
  basePath: "/v1",
  matches: (method, path) => method === "POST" && (path === "/v1/responses" || path === "/responses"),
  wantsStream: (request) => requestBody(request).stream === true,
  render,
  frameChunk: (line) => {
    const type = /"type"\s*:\s*"([^"]+)"/.exec(line)?.[1];
    return type === undefined ? `data: ${line}\n\n` : `event: ${type}\ndata: ${line}\n\n`;
  },
};
