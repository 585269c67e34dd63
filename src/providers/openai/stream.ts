/**
 * OpenAI Chat Completions wire → InferenceOutput, for streamed chunks and whole responses.
 *
 * - Choice 0 becomes the Turn's blocks; with `n > 1` every other choice is kept too, as an `other` block of type
 *   `openai.choice` with data `{ index, text, reasoning?, toolCalls?, finishReason? }` (alternatives: not sent back).
 * - Tool calls are merged by `index`; argument fragments are forwarded as they come (linear in chunks) and a
 *   call is completed (parsed, `tool-call` published) when the next call starts or the stream finishes.
 * - A refusal is kept as an `other` block of type `openai.refusal` with data `{ text }` (not as answer text) and
 *   announced with an `info` event `refusal`; it is sent back as the assistant message's `refusal` field.
 * - `reasoning_content` (DeepSeek, vLLM, …) or `reasoning` (OpenRouter, Ollama) deltas become a reasoning block.
 * - `finish_reason`: stop → completed, length → max_tokens, tool_calls/function_call → tool_calls_pending;
 *   content_filter → completed with stopReason `content_filter` kept.
 */

import type { FinishClass } from "../../engine/engine.ts";
import type { ProviderError } from "../../engine/errors.ts";
import type { InferenceOutput } from "../../engine/output.ts";
import type { Usage } from "../../events/types.ts";
import { midStreamError } from "../../provider-kit/stream-error.ts";
import type { JsonObject } from "../../turns/json.ts";
import { streamEndedEarly } from "../transport/errors.ts";
import { CHOICE_BLOCK_TYPE, REFUSAL_BLOCK_TYPE } from "./request.ts";
import { type ShortDelta, shortDeltaOf, shortDeltaText } from "./stream-short-delta.ts";
import type { ChatChunk, ChatCompletion, ChatToolCallDelta, ChatUsage } from "./wire.ts";

/** The normalized finish class of an OpenAI `finish_reason`. */
export function finishClassOf(reason: string): FinishClass {
  switch (reason) {
    case "stop":
    case "content_filter":
      return "completed";
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_calls_pending";
    default:
      return "unknown";
  }
}

/** OpenAI usage → geppetto Usage. */
export function usageOf(usage: ChatUsage): Usage {
  const out: Usage = {};
  if (usage.prompt_tokens !== undefined) out.inputTokens = usage.prompt_tokens;
  if (usage.completion_tokens !== undefined) out.outputTokens = usage.completion_tokens;
  if (usage.total_tokens !== undefined) out.totalTokens = usage.total_tokens;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  if (cached) out.cachedTokens = cached;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  if (reasoning) out.reasoningTokens = reasoning;
  return out;
}

/** A choice other than 0, as it streamed. */
interface OtherChoice {
  index: number;
  text: string;
  reasoning: string;
  toolCalls: ({ id: string; name: string; arguments: string } | undefined)[];
  finishReason?: string;
}

let generatedIds = 0;
function generatedCallId(): string {
  generatedIds++;
  return `call_${Date.now().toString(36)}_${generatedIds}`;
}

/** The error a mid-stream `error` payload stands for (the kit's one mapping, `midStreamError`). */
export function streamError(error: NonNullable<ChatChunk["error"]>, provider = "openai"): ProviderError {
  return midStreamError({
    provider,
    type: error.type,
    code: error.code === undefined || error.code === null ? undefined : String(error.code),
    message: error.message,
    param: error.param ?? undefined,
  });
}

/**
 * Feeds streamed chunks into an InferenceOutput. Call `onEvent` per SSE data, then `end()`.
 *
 * @example
 * const reader = new ChatStreamReader(out);
 * await response.sse(reader.onEvent);
 * reader.end();
 */
export class ChatStreamReader {
  readonly #out: InferenceOutput;
  readonly #provider: string;
  #done = false;
  #finished = false;
  #modelSeen = false;
  #idSeen = false;
  #refusal = "";
  /** Index of the tool call currently streaming (completed when another starts). */
  #currentTool: number | undefined;
  /** Choices other than 0 (`n > 1`), by index. */
  readonly #otherChoices = new Map<number, OtherChoice>();
  /** How to read the chunks like the last content or arguments delta parsed whole, once there was one. */
  #short: ShortDelta | undefined;

  constructor(out: InferenceOutput, provider = "openai") {
    this.#out = out;
    this.#provider = provider;
  }

  /**
   * Handles one SSE `data:` payload. Bound, so it can be passed directly. A content or tool-call arguments delta
   * that starts like the last one parsed whole, nearly every chunk of an answer, goes straight to the output.
   */
  readonly onEvent = (data: string): void => {
    const short = this.#short;
    if (short !== undefined) {
      const text = shortDeltaText(data, short);
      if (text !== undefined) {
        if (text) {
          if (short.call === undefined) this.#out.text(text);
          else this.#out.toolCallArguments(short.call, text);
        }
        return;
      }
    }
    if (data.charCodeAt(0) === 91 /* [ */ && data === "[DONE]") {
      this.#done = true;
      return;
    }
    const chunk = JSON.parse(data) as ChatChunk;
    this.chunk(chunk);
    const learned = shortDeltaOf(data, chunk);
    if (learned !== undefined) this.#short = learned;
  };

  /** Handles one parsed chunk. */
  chunk(chunk: ChatChunk): void {
    const out = this.#out;
    if (chunk.error) throw streamError(chunk.error, this.#provider);
    if (!this.#modelSeen && chunk.model) {
      this.#modelSeen = true;
      out.setModel(chunk.model);
    }
    if (!this.#idSeen && chunk.id) {
      this.#idSeen = true;
      out.ids({ responseId: chunk.id });
    }
    const choices = chunk.choices;
    if (choices !== undefined && choices.length > 0) {
      const first = choices[0]!;
      const choice = choices.length === 1 ? first : choices.find((candidate) => (candidate.index ?? 0) === 0);
      if (choices.length > 1 || (first.index ?? 0) !== 0) this.#collectOtherChoices(choices);
      if (choice !== undefined && (choice.index ?? 0) === 0) {
        const delta = choice.delta;
        if (delta) {
          const reasoning = delta.reasoning_content ?? delta.reasoning;
          if (reasoning) out.reasoning(reasoning);
          const content = delta.content;
          if (content) out.text(content);
          if (delta.refusal) this.#refusal += delta.refusal;
          if (delta.tool_calls) this.#toolCalls(delta.tool_calls);
        }
        const reason = choice.finish_reason;
        if (reason) {
          this.#finished = true;
          this.#completeTool();
          out.stop(reason, finishClassOf(reason));
        }
      }
    }
    if (chunk.usage) out.usage(usageOf(chunk.usage));
  }

  #otherChoice(index: number): OtherChoice {
    let other = this.#otherChoices.get(index);
    if (!other) {
      other = { index, text: "", reasoning: "", toolCalls: [] };
      this.#otherChoices.set(index, other);
    }
    return other;
  }

  #collectOtherChoices(choices: NonNullable<ChatChunk["choices"]>): void {
    for (const choice of choices) {
      const index = choice.index ?? 0;
      if (index === 0) continue;
      const other = this.#otherChoice(index);
      const delta = choice.delta;
      if (delta?.content) other.text += delta.content;
      const reasoning = delta?.reasoning_content ?? delta?.reasoning;
      if (reasoning) other.reasoning += reasoning;
      for (const [position, call] of (delta?.tool_calls ?? []).entries()) {
        const at = call.index ?? position;
        other.toolCalls[at] ??= { id: "", name: "", arguments: "" };
        const entry = other.toolCalls[at]!;
        if (call.id) entry.id = call.id;
        if (call.function?.name) entry.name = call.function.name;
        if (call.function?.arguments) entry.arguments += call.function.arguments;
      }
      if (choice.finish_reason) other.finishReason = choice.finish_reason;
    }
  }

  #recordOtherChoices(): void {
    const ordered = [...this.#otherChoices.values()].sort((left, right) => left.index - right.index);
    for (const other of ordered) {
      const data: JsonObject = { index: other.index, text: other.text };
      if (other.reasoning) data.reasoning = other.reasoning;
      const calls = other.toolCalls.filter((call) => call !== undefined);
      if (calls.length > 0) data.toolCalls = calls.map((call) => ({ ...call }));
      if (other.finishReason) data.finishReason = other.finishReason;
      this.#out.other(CHOICE_BLOCK_TYPE, data);
    }
    this.#otherChoices.clear();
  }

  #toolCalls(calls: ChatToolCallDelta[]): void {
    const out = this.#out;
    for (let position = 0; position < calls.length; position++) {
      const call = calls[position]!;
      const key = call.index ?? position;
      if (!out.hasToolCall(key)) {
        this.#completeTool();
        out.toolCallStart(key, { id: call.id || generatedCallId(), name: call.function?.name ?? "" });
        this.#currentTool = key;
      } else if (call.id || call.function?.name) {
        const fields: { id?: string; name?: string } = {};
        if (call.id) fields.id = call.id;
        if (call.function?.name) fields.name = call.function.name;
        out.toolCallUpdate(key, fields);
      }
      const args = call.function?.arguments;
      if (args) out.toolCallArguments(key, args);
    }
  }

  #completeTool(): void {
    if (this.#currentTool !== undefined) this.#out.toolCallEnd(this.#currentTool);
    this.#currentTool = undefined;
  }

  /**
   * The stream ended. Throws a retryable ProviderError when it ended before a finish reason or `[DONE]`
   * (a cut connection); otherwise records the refusal, if any.
   */
  readonly end = (): void => {
    if (this.#refusal) this.#recordRefusal(this.#refusal);
    if (this.#otherChoices.size > 0) this.#recordOtherChoices();
    if (!this.#finished && !this.#done) {
      throw streamEndedEarly(this.#provider, "a finish reason or [DONE]");
    }
  };

  #recordRefusal(text: string): void {
    this.#out.other(REFUSAL_BLOCK_TYPE, { text });
    this.#out.emit({ type: "info", message: "refusal", data: { text } });
  }

  /**
   * Reads a whole (non-streamed) response, then call `end()`. An `error` body (a compatible server that answered
   * a stream request with one) throws.
   */
  readonly completion = (completion: ChatCompletion & { error?: ChatChunk["error"] }): void => {
    if (completion.error) throw streamError(completion.error, this.#provider);
    const out = this.#out;
    if (completion.model) out.setModel(completion.model);
    if (completion.id) out.ids({ responseId: completion.id });
    const choice = completion.choices?.find((candidate) => (candidate.index ?? 0) === 0);
    const message = choice?.message;
    if (message) {
      const reasoning = message.reasoning_content ?? message.reasoning;
      if (reasoning) out.reasoning(reasoning);
      if (message.content) out.text(message.content);
      for (const call of message.tool_calls ?? []) {
        out.toolCall({
          id: call.id || generatedCallId(),
          name: call.function?.name ?? "",
          args: call.function?.arguments ?? "",
        });
      }
      if (message.refusal) this.#refusal = message.refusal;
    }
    if (choice?.finish_reason) {
      this.#finished = true;
      out.stop(choice.finish_reason, finishClassOf(choice.finish_reason));
    }
    for (const other of completion.choices ?? []) {
      const index = other.index ?? 0;
      if (index === 0) continue;
      const collected = this.#otherChoice(index);
      collected.text = other.message?.content ?? "";
      collected.reasoning = other.message?.reasoning_content ?? other.message?.reasoning ?? "";
      collected.toolCalls = (other.message?.tool_calls ?? []).map((call) => ({
        id: call.id ?? "",
        name: call.function?.name ?? "",
        arguments: call.function?.arguments ?? "",
      }));
      if (other.finish_reason) collected.finishReason = other.finish_reason;
    }
    if (completion.usage) out.usage(usageOf(completion.usage));
    this.#done = true;
  };
}
