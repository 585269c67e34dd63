/**
 * Tool-call/result pairing checks, as the providers enforce them: a request holding a tool call without its
 * result (or a result without its call) is refused with HTTP 400 in the provider's own error body. The local
 * provider server runs them when started with `validateToolPairing: true`.
 *
 * - OpenAI Chat: an assistant message with `tool_calls` must be followed by one `tool` message per call id,
 *   before any other message; a `tool` message must answer a call of the assistant message before it.
 * - OpenAI Responses: every `function_call` item needs a `function_call_output` with its `call_id` after it, and
 *   every output needs its call.
 * - Anthropic: the `tool_use` blocks of an assistant message need `tool_result` blocks in the very next (user)
 *   message, and a `tool_result` must answer a `tool_use` of the message before it.
 * - Gemini: a model content with `functionCall` parts must be followed by a content with as many
 *   `functionResponse` parts.
 * - Ollama (which checks nothing itself): held to the OpenAI Chat rule, counting `tool` messages.
 */
import type { RecordedRequest } from "./types.ts";

/** A refusal: the status and the error body the provider would send. */
export interface PairingError {
  status: number;
  body: unknown;
}

type Json = Record<string, unknown>;
const records = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((item): item is Json => typeof item === "object" && item !== null) : [];

function openaiBody(message: string, param: string): PairingError {
  return { status: 400, body: { error: { message, type: "invalid_request_error", param, code: null } } };
}

function chatPairing(body: Json, byCount: boolean): PairingError | undefined {
  const messages = records(body.messages);
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    if (message.role === "tool") {
      return openaiBody(
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
        `messages.[${index}].role`,
      );
    }
    const calls = records(message.tool_calls);
    if (message.role !== "assistant" || calls.length === 0) continue;
    const open = new Set(calls.map((call, position) => (byCount ? String(position) : String(call.id))));
    let next = index + 1;
    for (; next < messages.length && messages[next]!.role === "tool"; next++) {
      const answer = messages[next]!;
      const id = byCount ? String(next - index - 1) : String(answer.tool_call_id);
      if (!open.delete(id)) {
        return openaiBody(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${next}].role`,
        );
      }
    }
    if (open.size > 0) {
      return openaiBody(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(", ")}`,
        `messages.[${index + 1}].role`,
      );
    }
    index = next - 1;
  }
  return undefined;
}

function responsesPairing(body: Json): PairingError | undefined {
  const items = records(body.input);
  const calls = new Set<string>();
  const answered = new Set<string>();
  for (const item of items) {
    if (item.type === "function_call") calls.add(String(item.call_id));
    if (item.type === "function_call_output") {
      const id = String(item.call_id);
      if (!calls.has(id)) {
        return openaiBody(`No tool call found for function call output with call_id ${id}.`, "input");
      }
      answered.add(id);
    }
  }
  for (const id of calls) {
    if (!answered.has(id)) return openaiBody(`No tool output found for function call ${id}.`, "input");
  }
  return undefined;
}

function contentBlocks(message: Json | undefined, type: string): Json[] {
  return records(message?.content).filter((block) => block.type === type);
}

function anthropicPairing(body: Json): PairingError | undefined {
  const messages = records(body.messages);
  const refuse = (message: string): PairingError => ({
    status: 400,
    body: { type: "error", error: { type: "invalid_request_error", message } },
  });
  for (let index = 0; index < messages.length; index++) {
    const previousUses = new Set(
      contentBlocks(messages[index - 1], "tool_use").map((block) => String(block.id)),
    );
    const results = contentBlocks(messages[index], "tool_result");
    for (const result of results) {
      const id = String(result.tool_use_id);
      if (!previousUses.has(id)) {
        return refuse(
          `messages.${index}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        );
      }
    }
    const uses = contentBlocks(messages[index], "tool_use").map((block) => String(block.id));
    if (uses.length === 0) continue;
    const next = messages[index + 1];
    const answered = new Set(contentBlocks(next, "tool_result").map((block) => String(block.tool_use_id)));
    const missing = uses.filter((id) => !answered.has(id));
    if (missing.length > 0 || next?.role !== "user") {
      return refuse(
        `messages.${index + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  }
  return undefined;
}

function geminiPairing(body: Json): PairingError | undefined {
  const contents = records(body.contents);
  const parts = (content: Json | undefined, key: string) =>
    records(content?.parts).filter((part) => part[key] !== undefined).length;
  for (let index = 0; index < contents.length; index++) {
    const calls = parts(contents[index], "functionCall");
    const responses = parts(contents[index], "functionResponse");
    const previousCalls = parts(contents[index - 1], "functionCall");
    if (
      (calls > 0 && parts(contents[index + 1], "functionResponse") !== calls) ||
      responses > previousCalls
    ) {
      return {
        status: 400,
        body: {
          error: {
            code: 400,
            message:
              "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.",
            status: "INVALID_ARGUMENT",
          },
        },
      };
    }
  }
  return undefined;
}

/**
 * The refusal a provider would send for this request's tool-call/result pairing, or undefined when it is valid.
 *
 * @example
 * validateToolPairing({ protocol: "openai-chat", method: "POST", path: "/v1/chat/completions", headers: {}, body })
 * // { status: 400, body: { error: { message: "An assistant message with 'tool_calls' must be followed by …" } } }
 */
export function validateToolPairing(request: RecordedRequest): PairingError | undefined {
  if (typeof request.body !== "object" || request.body === null) return undefined;
  const body = request.body as Json;
  switch (request.protocol) {
    case "openai-chat":
      return chatPairing(body, false);
    case "ollama":
      return chatPairing(body, true);
    case "openai-responses":
      return responsesPairing(body);
    case "anthropic":
      return anthropicPairing(body);
    case "gemini":
      return geminiPairing(body);
    default:
      return undefined;
  }
}
