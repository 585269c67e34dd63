/**
 * The benchmark server's OpenAI Responses, Gemini and Ollama streams for a workload (server.ts has OpenAI Chat and
 * Anthropic), shaped like what each API really sends: Responses events with their `sequence_number`, long item
 * ids and the `obfuscation` padding; Gemini SSE chunks with usage metadata, model version and response id on each;
 * Ollama NDJSON lines with the model and a nanosecond `created_at`. Gemini tool arguments stream as
 * `partialArgs` string pieces (`streamFunctionCallArguments`); Ollama sends a tool call whole, in one line, so its
 * `tool-N` is one call whose arguments are the whole JSON object.
 */
import { TOOL_NAME, textTokens, toolArgumentChunks, type Workload } from "./workload.ts";

/** The SSE events of an OpenAI Responses stream for a workload. */
export function responsesEvents(model: string, workload: Workload): string[] {
  const events: string[] = [];
  let sequence = 0;
  const emit = (type: string, data: object, obfuscated = false): void => {
    const padding = obfuscated ? { obfuscation: "Qz7xK2mVb9LpW4nR".slice(0, 4 + (sequence % 8)) } : {};
    const body = JSON.stringify({ type, sequence_number: sequence++, ...data, ...padding });
    events.push(`event: ${type}\ndata: ${body}\n\n`);
  };
  const response = {
    id: "resp_68b1f2a3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3",
    object: "response",
    created_at: 1_756_000_000,
    model,
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: "auto",
    top_p: 1,
  };
  emit("response.created", { response: { ...response, status: "in_progress", output: [] } });
  emit("response.in_progress", { response: { ...response, status: "in_progress", output: [] } });
  let item: Record<string, unknown>;
  let outputTokens: number;
  if (workload.kind === "text") {
    const id = "msg_68b1f2a4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4";
    const tokens = textTokens(workload.tokens);
    const text = tokens.join("");
    const part = { type: "output_text", annotations: [], logprobs: [], text };
    item = { id, type: "message", status: "completed", content: [part], role: "assistant" };
    emit("response.output_item.added", {
      output_index: 0,
      item: { ...item, status: "in_progress", content: [] },
    });
    const position = { item_id: id, output_index: 0, content_index: 0 };
    emit("response.content_part.added", { ...position, part: { ...part, text: "" } });
    for (const delta of tokens)
      emit("response.output_text.delta", { ...position, delta, logprobs: [] }, true);
    emit("response.output_text.done", { ...position, text, logprobs: [] });
    emit("response.content_part.done", { ...position, part });
    outputTokens = workload.tokens;
  } else {
    const id = "fc_68b1f2a4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4";
    const chunks = toolArgumentChunks(workload.chunks);
    const args = chunks.join("");
    item = {
      id,
      type: "function_call",
      status: "completed",
      arguments: args,
      call_id: "call_bench",
      name: TOOL_NAME,
    };
    emit("response.output_item.added", {
      output_index: 0,
      item: { ...item, status: "in_progress", arguments: "" },
    });
    for (const delta of chunks)
      emit("response.function_call_arguments.delta", { item_id: id, output_index: 0, delta }, true);
    emit("response.function_call_arguments.done", { item_id: id, output_index: 0, arguments: args });
    outputTokens = workload.chunks;
  }
  emit("response.output_item.done", { output_index: 0, item });
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 10 + outputTokens,
  };
  emit("response.completed", { response: { ...response, status: "completed", output: [item], usage } });
  return events;
}

/** The SSE events (`alt=sse`) of a Gemini `streamGenerateContent` stream for a workload. */
export function geminiEvents(model: string, workload: Workload): string[] {
  let candidatesTokenCount = 0;
  const chunk = (parts: object[], finishReason?: string): string => {
    const candidate = {
      content: { parts, role: "model" },
      ...(finishReason ? { finishReason } : {}),
      index: 0,
    };
    const usageMetadata = {
      promptTokenCount: 10,
      candidatesTokenCount,
      totalTokenCount: 10 + candidatesTokenCount,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 10 }],
    };
    const body = {
      candidates: [candidate],
      usageMetadata,
      modelVersion: model,
      responseId: "mFq2aKvXLdSrz7IPk9bOwQ4",
    };
    return `data: ${JSON.stringify(body)}\r\n\r\n`;
  };
  const events: string[] = [];
  if (workload.kind === "text") {
    for (const text of textTokens(workload.tokens)) {
      candidatesTokenCount++;
      events.push(chunk([{ text }]));
    }
    events.push(chunk([{ text: "" }], "STOP"));
    return events;
  }
  const json = JSON.parse(toolArgumentChunks(workload.chunks).join("")) as { items: string };
  const value = json.items;
  events.push(
    chunk([{ functionCall: { name: TOOL_NAME, willContinue: true }, thoughtSignature: "c2lnbmF0dXJl" }]),
  );
  for (let index = 0; index < workload.chunks; index++) {
    const start = Math.floor((index * value.length) / workload.chunks);
    const end = Math.floor(((index + 1) * value.length) / workload.chunks);
    const last = index === workload.chunks - 1;
    const partial = {
      jsonPath: "$.items",
      stringValue: value.slice(start, end),
      ...(last ? {} : { willContinue: true }),
    };
    candidatesTokenCount++;
    events.push(chunk([{ functionCall: { partialArgs: [partial], willContinue: true } }]));
  }
  events.push(chunk([{ functionCall: {} }]));
  events.push(chunk([{ text: "" }], "STOP"));
  return events;
}

/** The NDJSON lines of an Ollama `/api/chat` stream for a workload. */
export function ollamaLines(model: string, workload: Workload): string[] {
  let nanos = 123_456_789;
  const line = (message: object, extra: object = { done: false }): string => {
    nanos += 17_321;
    const created_at = `2026-01-01T12:00:00.${String(nanos % 1_000_000_000).padStart(9, "0")}Z`;
    return `${JSON.stringify({ model, created_at, message: { role: "assistant", ...message }, ...extra })}\n`;
  };
  const lines: string[] = [];
  let evalCount: number;
  if (workload.kind === "text") {
    for (const content of textTokens(workload.tokens)) lines.push(line({ content }));
    evalCount = workload.tokens;
  } else {
    const args = JSON.parse(toolArgumentChunks(workload.chunks).join("")) as object;
    lines.push(
      line({ content: "", tool_calls: [{ function: { index: 0, name: TOOL_NAME, arguments: args } }] }),
    );
    evalCount = workload.chunks;
  }
  const final = {
    done: true,
    done_reason: "stop",
    total_duration: 4_935_886_791,
    load_duration: 534_986_708,
    prompt_eval_count: 10,
    prompt_eval_duration: 107_345_000,
    eval_count: evalCount,
    eval_duration: 4_289_432_000,
  };
  lines.push(line({ content: "" }, final));
  return lines;
}
