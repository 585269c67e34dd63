/**
 * OpenAI Responses wire events → InferenceOutput calls (blocks and events).
 *
 * One handler per inference. Feed it every parsed `data:` payload in order with `handle(event)`; a
 * non-streaming response object goes through `handleResponse(response)`, which replays it as the events a
 * stream would have sent, so both paths share one piece of logic. After the last event, `outcome` says how
 * the response ended (completed, incomplete, failed, or cut before its end).
 */
import type { FinishClass } from "../../engine/engine.ts";
import type { ProviderError } from "../../engine/errors.ts";
import type { InferenceOutput } from "../../engine/output.ts";
import type { EventDraft, EventMetadataDraft, Usage } from "../../events/types.ts";
import { midStreamError } from "../../provider-kit/stream-error.ts";
import type { JsonObject } from "../../turns/json.ts";
import type { Block, ReasoningPayload } from "../../turns/types.ts";
import {
  KeyResponsesAnnotations,
  KeyResponsesItemType,
  KeyResponsesOutputIndex,
  KeyResponsesPhase,
  KeyResponsesResponseId,
  KeyResponsesStatus,
  OPENAI_RESPONSES_PROVIDER,
  WEB_SEARCH_CALL_TYPE,
} from "./descriptor.ts";
import { hostedDoneEvent, hostedProgressEvent } from "./stream-hosted.ts";
import { replayResponse } from "./stream-replay.ts";
import type {
  ResponsesError,
  ResponsesOutputItem,
  ResponsesResponse,
  ResponsesStreamEvent,
  ResponsesUsage,
} from "./wire.ts";

/**
 * How a response ended, as far as the stream told.
 *
 * @example
 * if (handler.outcome.kind === "incomplete") console.warn(handler.outcome.reason); // "max_output_tokens"
 */
export type ResponsesOutcome =
  | { kind: "open" }
  | { kind: "completed" }
  | { kind: "incomplete"; reason: string }
  | { kind: "failed"; error: ProviderError };

interface ItemState {
  type: string;
  block?: Block | undefined;
  summary: string[];
  annotations: JsonObject[];
  /** A message item's `phase`, kept on its text block. */
  phase?: string;
  /** A function call's tool name. */
  name?: string;
}

/**
 * Maps Responses usage to geppetto usage.
 *
 * @example
 * usageFromResponses({ input_tokens: 3, output_tokens: 5, output_tokens_details: { reasoning_tokens: 2 } })
 * // { inputTokens: 3, outputTokens: 5, reasoningTokens: 2 }
 */
export function usageFromResponses(usage: ResponsesUsage): Usage {
  const result: Usage = {};
  if (usage.input_tokens !== undefined) result.inputTokens = usage.input_tokens;
  if (usage.output_tokens !== undefined) result.outputTokens = usage.output_tokens;
  if (usage.total_tokens !== undefined) result.totalTokens = usage.total_tokens;
  const cached = usage.input_tokens_details?.cached_tokens;
  if (cached !== undefined) result.cachedTokens = cached;
  const reasoning = usage.output_tokens_details?.reasoning_tokens;
  if (reasoning !== undefined) result.reasoningTokens = reasoning;
  return result;
}

/**
 * Builds the ProviderError of a failed response or an `error` event (server errors and rate limits retryable).
 *
 * @example
 * responsesProviderError({ type: "insufficient_quota", message: "quota" }, "failed").retryable // false
 */
export function responsesProviderError(error: ResponsesError, fallbackMessage: string): ProviderError {
  return midStreamError({
    provider: OPENAI_RESPONSES_PROVIDER,
    type: error.type ?? undefined,
    code: error.code ?? undefined,
    message: error.message ?? fallbackMessage,
    param: error.param ?? undefined,
  });
}

/**
 * Turns Responses stream events into blocks and events.
 *
 * @example
 * const handler = new ResponsesStreamHandler(out);
 * for await (const message of sse) handler.handle(JSON.parse(message.data));
 * if (handler.outcome.kind === "failed") throw out.fail(handler.outcome.error);
 */
export class ResponsesStreamHandler {
  readonly #out: InferenceOutput;
  readonly #items = new Map<number, ItemState>();
  #responseId: string | undefined;
  #outcome: ResponsesOutcome = { kind: "open" };
  #streamError: ResponsesError | undefined;

  constructor(out: InferenceOutput) {
    this.#out = out;
  }

  /** How the response ended so far (`open` until a terminal event arrived). */
  get outcome(): ResponsesOutcome {
    return this.#outcome;
  }

  #state(event: ResponsesStreamEvent): ItemState | undefined {
    return event.output_index === undefined ? undefined : this.#items.get(event.output_index);
  }

  #annotate(block: Block, index: number, item: ResponsesOutputItem): void {
    if (this.#responseId !== undefined) this.#out.annotate(block, KeyResponsesResponseId, this.#responseId);
    this.#out.annotate(block, KeyResponsesOutputIndex, index);
    this.#out.annotate(block, KeyResponsesItemType, item.type);
    if (item.status !== undefined) this.#out.annotate(block, KeyResponsesStatus, item.status);
  }

  #meta(block: Block | undefined): EventMetadataDraft {
    return block === undefined ? {} : { blockId: block.id };
  }

  #info(message: string, block: Block | undefined): void {
    this.#out.emit({ type: "info", message, meta: this.#meta(block) });
  }

  /** Handles one parsed stream event. Unknown event types are ignored. */
  handle(event: ResponsesStreamEvent): void {
    switch (event.type) {
      case "response.created":
      case "response.in_progress":
        this.#started(event.response);
        return;
      case "response.output_item.added":
        if (event.item && event.output_index !== undefined) this.#itemAdded(event.output_index, event.item);
        return;
      case "response.output_item.done":
        if (event.item && event.output_index !== undefined) this.#itemDone(event.output_index, event.item);
        return;
      case "response.output_text.delta":
      case "response.refusal.delta":
        this.#textDelta(event);
        return;
      case "response.output_text.annotation.added":
        this.#annotation(event);
        return;
      case "response.function_call_arguments.delta":
        if (event.item_id !== undefined && event.delta)
          this.#out.toolCallArguments(event.item_id, event.delta);
        return;
      case "response.function_call_arguments.done":
        if (event.item_id !== undefined) {
          this.#out.toolCallEnd(event.item_id, event.arguments);
        }
        return;
      case "response.reasoning_summary_part.added":
        this.#summaryPart(event);
        return;
      case "response.reasoning_summary_text.delta":
        this.#summaryDelta(event);
        return;
      case "response.reasoning_text.delta":
        if (event.delta) this.#out.reasoning(event.delta);
        return;
      case "response.completed":
      case "response.incomplete":
      case "response.failed":
        this.#ended(event.type, event.response ?? {});
        return;
      case "error":
        this.#streamError = event.error ?? {
          type: (event.code as string | undefined) ?? "error",
          code: event.code ?? null,
          message: event.message ?? "stream error",
          param: event.param ?? null,
        };
        // The response failed: the engine stops reading here (a `response.failed` may never follow).
        this.#out.stop("failed");
        this.#outcome = { kind: "failed", error: responsesProviderError(this.#streamError, "stream error") };
        return;
      default: {
        // Hosted tools (web search, file search, code interpreter, image generation, MCP) report progress.
        const progress = hostedProgressEvent(event);
        if (progress) this.#out.emit({ ...progress, meta: this.#meta(this.#state(event)?.block) });
        return;
      }
    }
  }

  #started(response: ResponsesResponse | undefined): void {
    if (!response) return;
    if (response.id) {
      this.#responseId = response.id;
      this.#out.ids({ responseId: response.id });
    }
    if (response.model) this.#out.setModel(response.model);
  }

  #itemAdded(index: number, item: ResponsesOutputItem): void {
    const state: ItemState = { type: item.type, summary: [], annotations: [] };
    this.#items.set(index, state);
    switch (item.type) {
      case "message":
        this.#out.endText();
        if (typeof item.phase === "string") state.phase = item.phase;
        return;
      case "reasoning": {
        this.#out.endReasoning();
        const fields: Omit<ReasoningPayload, "text"> = {};
        if (item.id) fields.itemId = item.id;
        this.#out.reasoning("", fields);
        state.block = this.#out.lastBlock;
        if (state.block) this.#annotate(state.block, index, item);
        this.#info("thinking-started", state.block);
        return;
      }
      case "function_call": {
        const key = item.id ?? `output_${index}`;
        if (item.name !== undefined) state.name = item.name;
        this.#out.toolCallStart(key, { id: item.call_id ?? key, name: item.name ?? "" });
        state.block = this.#out.lastBlock;
        if (state.block) {
          if (item.id) (state.block.payload as { itemId?: string }).itemId = item.id;
          this.#annotate(state.block, index, item);
        }
        if (item.arguments) this.#out.toolCallArguments(key, item.arguments);
        return;
      }
      default: {
        const type = item.type === "web_search_call" ? WEB_SEARCH_CALL_TYPE : `openai_responses.${item.type}`;
        state.block = this.#out.other(type, item as JsonObject);
        this.#annotate(state.block, index, item);
      }
    }
  }

  #textDelta(event: ResponsesStreamEvent): void {
    if (!event.delta) return;
    const state = this.#state(event);
    this.#out.text(event.delta);
    if (state && !state.block) {
      state.block = this.#out.lastBlock;
      if (state.block) {
        if (event.item_id) (state.block.payload as { itemId?: string }).itemId = event.item_id;
        this.#annotate(state.block, event.output_index ?? 0, { type: "message" });
        if (state.phase !== undefined) this.#out.annotate(state.block, KeyResponsesPhase, state.phase);
      }
    }
  }

  #annotation(event: ResponsesStreamEvent): void {
    const annotation = event.annotation;
    if (!annotation) return;
    const state = this.#state(event);
    state?.annotations.push(annotation);
    const citation: EventDraft = { type: "citation", data: annotation, meta: this.#meta(state?.block) };
    if (typeof annotation.url === "string") citation.url = annotation.url;
    if (typeof annotation.title === "string") citation.title = annotation.title;
    if (typeof annotation.start_index === "number") citation.startIndex = annotation.start_index;
    if (typeof annotation.end_index === "number") citation.endIndex = annotation.end_index;
    this.#out.emit(citation);
  }

  #summaryPart(event: ResponsesStreamEvent): void {
    const state = this.#state(event);
    if (!state) return;
    const index = event.summary_index ?? state.summary.length;
    if (index > 0 && state.summary.length > 0) this.#reasoningText(state, "\n\n");
    while (state.summary.length <= index) state.summary.push("");
  }

  #summaryDelta(event: ResponsesStreamEvent): void {
    const state = this.#state(event);
    if (!state || !event.delta) return;
    const index = event.summary_index ?? 0;
    while (state.summary.length <= index) state.summary.push("");
    state.summary[index] += event.delta;
    this.#reasoningText(state, event.delta);
  }

  #reasoningText(state: ItemState, delta: string): void {
    // The reasoning block of this item is the open one: Responses items do not interleave.
    this.#out.reasoning(delta);
    state.block ??= this.#out.lastBlock;
  }

  #itemDone(index: number, item: ResponsesOutputItem): void {
    let state = this.#items.get(index);
    if (!state) {
      this.#itemAdded(index, { ...item, arguments: "" });
      state = this.#items.get(index)!;
    }
    const block = state.block;
    switch (item.type) {
      case "message":
        this.#out.endText();
        if (block) {
          if (item.status !== undefined) this.#out.annotate(block, KeyResponsesStatus, item.status);
          if (typeof item.phase === "string") this.#out.annotate(block, KeyResponsesPhase, item.phase);
          if (state.annotations.length > 0)
            this.#out.annotate(block, KeyResponsesAnnotations, state.annotations);
        }
        return;
      case "reasoning": {
        if (block?.kind === "reasoning") {
          const summary = (item.summary ?? []).map((part) => part.text);
          const payload = block.payload;
          if (summary.length > 0) payload.summary = summary;
          else if (state.summary.length > 0) payload.summary = [...state.summary];
          if (item.encrypted_content) payload.encryptedContent = item.encrypted_content;
          if (item.id) payload.itemId = item.id;
          if (item.status !== undefined) this.#out.annotate(block, KeyResponsesStatus, item.status);
        }
        this.#out.endReasoning();
        this.#info("thinking-ended", block);
        return;
      }
      case "function_call": {
        this.#out.toolCallEnd(item.id ?? `output_${index}`, item.arguments);
        if (block && item.status !== undefined) this.#out.annotate(block, KeyResponsesStatus, item.status);
        return;
      }
      default: {
        if (block?.kind === "other") {
          block.payload.data = item as JsonObject;
          if (item.status !== undefined) this.#out.annotate(block, KeyResponsesStatus, item.status);
        }
        const done = hostedDoneEvent(item);
        if (done) this.#out.emit({ ...done, meta: this.#meta(block) });
      }
    }
  }

  #ended(type: string, response: ResponsesResponse): void {
    this.#started(response);
    if (response.usage) this.#out.usage(usageFromResponses(response.usage));
    const status = response.status ?? type.slice("response.".length);
    if (type === "response.failed" || status === "failed") {
      const error = response.error ?? this.#streamError ?? { message: "response failed" };
      this.#out.stop("failed");
      this.#outcome = {
        kind: "failed",
        error: responsesProviderError({ ...this.#streamError, ...error }, "response failed"),
      };
      return;
    }
    if (type === "response.incomplete" || status === "incomplete") {
      const reason = response.incomplete_details?.reason ?? "incomplete";
      const finishClass: FinishClass = reason === "max_output_tokens" ? "max_tokens" : "unknown";
      this.#out.stop(reason, finishClass);
      this.#outcome = { kind: "incomplete", reason };
      return;
    }
    this.#out.stop(status);
    this.#outcome = { kind: "completed" };
  }

  /**
   * Handles a whole (non-streaming) response object by replaying it as the events a stream would have sent.
   *
   * @example
   * handler.handleResponse(await response.json());
   */
  handleResponse(response: ResponsesResponse): void {
    replayResponse(response, (event) => this.handle(event));
  }
}
