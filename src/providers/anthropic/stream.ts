/**
 * Anthropic Messages wire events → InferenceOutput calls (blocks and events).
 *
 * One handler per inference. Feed it every parsed `data:` payload in order with `handle(event)`; a
 * non-streaming message goes through `handleMessage(message)`, which replays it as the events a stream would
 * have sent, so both paths share one piece of logic. After the last event, `outcome` says how it ended.
 *
 * Content blocks map to blocks one to one: `text` → llm_text (citations kept on its metadata and published as
 * `citation` events), `thinking` → reasoning with its signature, `redacted_thinking` → redacted reasoning with
 * the opaque data in `encryptedContent`, `tool_use` → tool_call, and anything else (server tool use, web search
 * results) → an `other` block of type `anthropic.<type>` holding the content block, replayed on continuation.
 */
import type { FinishClass } from "../../engine/engine.ts";
import type { ProviderError } from "../../engine/errors.ts";
import type { InferenceOutput } from "../../engine/output.ts";
import type { EventDraft, EventMetadataDraft, Usage } from "../../events/types.ts";
import { midStreamError } from "../../provider-kit/stream-error.ts";
import { startsWithPrefix } from "../../provider-kit/string-literal.ts";
import type { JsonObject, JsonValue } from "../../turns/json.ts";
import type { Block } from "../../turns/types.ts";
import {
  ANTHROPIC_PROVIDER,
  KeyAnthropicCitations,
  KeyAnthropicContentIndex,
  KeyAnthropicMessageId,
} from "./descriptor.ts";
import { ANTHROPIC_OTHER_PREFIX } from "./request.ts";
import { literalText } from "./stream-delta-literal.ts";
import type {
  AnthropicContentBlock,
  AnthropicError,
  AnthropicResponseMessage,
  AnthropicStreamEvent,
  AnthropicUsage,
} from "./wire.ts";

/**
 * How a message ended, as far as the stream told.
 *
 * @example
 * if (handler.outcome.kind === "failed") throw out.fail(handler.outcome.error);
 */
export type ClaudeOutcome =
  | { kind: "open" }
  | { kind: "completed" }
  | { kind: "failed"; error: ProviderError };

interface ContentState {
  type: string;
  block?: Block | undefined;
  json: string[];
  citations: JsonObject[];
}

/**
 * Maps Anthropic usage to geppetto usage (null and absent fields skipped).
 *
 * @example
 * usageFromAnthropic({ input_tokens: 3, output_tokens: 1, cache_read_input_tokens: 10 })
 * // { inputTokens: 3, outputTokens: 1, cacheReadInputTokens: 10 }
 */
export function usageFromAnthropic(usage: AnthropicUsage): Usage {
  const result: Usage = {};
  if (typeof usage.input_tokens === "number") result.inputTokens = usage.input_tokens;
  if (typeof usage.output_tokens === "number") result.outputTokens = usage.output_tokens;
  if (typeof usage.cache_creation_input_tokens === "number") {
    result.cacheCreationInputTokens = usage.cache_creation_input_tokens;
  }
  if (typeof usage.cache_read_input_tokens === "number")
    result.cacheReadInputTokens = usage.cache_read_input_tokens;
  const thinking = usage.output_tokens_details?.thinking_tokens;
  if (typeof thinking === "number") result.reasoningTokens = thinking;
  return result;
}

/**
 * The ProviderError of an `error` stream event (the kit's one mapping, `midStreamError`): `overloaded_error` and
 * other server-side types are retryable.
 *
 * @example
 * anthropicStreamError({ type: "overloaded_error", message: "Overloaded" }).retryable // true
 */
export function anthropicStreamError(error: AnthropicError): ProviderError {
  return midStreamError({
    provider: ANTHROPIC_PROVIDER,
    type: error.type ?? "error",
    message: error.message,
  });
}

/**
 * The normalized finish class of an Anthropic stop reason (undefined: derive it from the output).
 *
 * @example
 * finishClassOf("max_tokens") // "max_tokens"
 */
export function finishClassOf(stopReason: string): FinishClass | undefined {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
    case "refusal":
      return "completed";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "max_tokens";
    case "tool_use":
      return undefined;
    default:
      return "unknown";
  }
}

function sourcesOf(content: JsonValue | undefined): JsonValue | undefined {
  if (!Array.isArray(content)) return undefined;
  return content.flatMap((result) => {
    if (typeof result !== "object" || result === null || Array.isArray(result)) return [];
    const source: JsonObject = {};
    if (typeof result.url === "string") source.url = result.url;
    if (typeof result.title === "string") source.title = result.title;
    return [source];
  });
}

/**
 * Turns Anthropic stream events into blocks and events.
 *
 * @example
 * const handler = new ClaudeStreamHandler(out);
 * await response.sse((data) => handler.handle(JSON.parse(data)));
 * if (handler.outcome.kind === "failed") throw out.fail(handler.outcome.error);
 */
export class ClaudeStreamHandler {
  readonly #out: InferenceOutput;
  readonly #content = new Map<number, ContentState>();
  #messageId: string | undefined;
  #outcome: ClaudeOutcome = { kind: "open" };
  #stopped = false;
  /** The index of the text or tool-use block whose deltas take the short path of `handleData` (-1: none). */
  #shortIndex = -1;
  /** True when that block is a tool use (its deltas are input JSON), false for text. */
  #shortTool = false;
  /** How Anthropic writes a delta of that block, up to its literal (compact JSON, keys in this order). */
  #shortPrefix = "";

  constructor(out: InferenceOutput) {
    this.#out = out;
  }

  /** How the message ended so far (`open` until `message_stop` or an `error`). */
  get outcome(): ClaudeOutcome {
    if (this.#outcome.kind === "open" && this.#stopped) return { kind: "completed" };
    return this.#outcome;
  }

  #meta(block: Block | undefined): EventMetadataDraft {
    return block === undefined ? {} : { blockId: block.id };
  }

  #adopt(state: ContentState, index: number): void {
    const block = this.#out.lastBlock;
    state.block = block;
    if (!block) return;
    if (this.#messageId !== undefined) this.#out.annotate(block, KeyAnthropicMessageId, this.#messageId);
    this.#out.annotate(block, KeyAnthropicContentIndex, index);
  }

  /**
   * Parses and handles one `data:` payload; throws the stream's error at an `error` event (it ends the inference
   * even when the connection stays open). A text delta of the open text block, nearly every event of an answer,
   * goes straight to the output.
   *
   * @example
   * await response.sse((data) => handler.handleData(data));
   */
  handleData(data: string): void {
    const index = this.#shortIndex;
    if (index !== -1 && startsWithPrefix(data, this.#shortPrefix)) {
      const literal = literalText(data, this.#shortPrefix.length);
      if (literal !== undefined) {
        if (literal) {
          if (this.#shortTool) this.#out.toolCallArguments(index, literal);
          else this.#out.text(literal);
        }
        return;
      }
    }
    const event = JSON.parse(data) as AnthropicStreamEvent;
    if (event.type === "content_block_delta" && event.index === index && !this.#shortTool) {
      const delta = event.delta;
      if (delta?.type === "text_delta") {
        if (delta.text) this.#out.text(delta.text);
        return;
      }
    }
    this.handle(event);
    if (this.#outcome.kind === "failed") throw this.#outcome.error;
  }

  /** Handles one parsed stream event. `ping` and unknown event types are ignored. */
  handle(event: AnthropicStreamEvent): void {
    switch (event.type) {
      case "message_start": {
        const message = event.message ?? {};
        if (message.id) {
          this.#messageId = message.id;
          this.#out.ids({ responseId: message.id });
        }
        if (message.model) this.#out.setModel(message.model);
        if (message.usage) this.#out.usage(usageFromAnthropic(message.usage));
        return;
      }
      case "content_block_start":
        if (event.index !== undefined && event.content_block) this.#start(event.index, event.content_block);
        return;
      case "content_block_delta":
        if (event.index !== undefined) this.#delta(event.index, event);
        return;
      case "content_block_stop":
        if (event.index !== undefined) this.#stop(event.index);
        return;
      case "message_delta": {
        if (event.usage) this.#out.usage(usageFromAnthropic(event.usage));
        const stopReason = event.delta?.stop_reason;
        if (stopReason) {
          this.#out.stop(stopReason, finishClassOf(stopReason));
          this.#stopped = true;
        }
        return;
      }
      case "message_stop":
        if (this.#outcome.kind === "open") this.#outcome = { kind: "completed" };
        return;
      case "error":
        this.#outcome = { kind: "failed", error: anthropicStreamError(event.error ?? {}) };
        return;
      default:
        return;
    }
  }

  #start(index: number, content: AnthropicContentBlock): void {
    this.#shortIndex = -1;
    const state: ContentState = { type: content.type, json: [], citations: [] };
    this.#content.set(index, state);
    switch (content.type) {
      case "text":
        this.#out.endText();
        if (typeof content.text === "string" && content.text.length > 0) {
          this.#out.text(content.text);
          this.#adopt(state, index);
        }
        return;
      case "thinking":
        this.#out.endReasoning();
        this.#out.reasoning("", {});
        this.#adopt(state, index);
        if (typeof content.thinking === "string" && content.thinking.length > 0) {
          this.#out.reasoning(content.thinking);
        }
        if (typeof content.signature === "string" && content.signature.length > 0) {
          this.#out.updateReasoning({ signature: content.signature });
        }
        this.#out.emit({ type: "info", message: "thinking-started", meta: this.#meta(state.block) });
        return;
      case "redacted_thinking":
        this.#out.reasoningBlock({ redacted: true, encryptedContent: String(content.data ?? "") });
        this.#adopt(state, index);
        return;
      case "tool_use":
        this.#out.toolCallStart(index, { id: String(content.id ?? ""), name: String(content.name ?? "") });
        this.#adopt(state, index);
        return;
      default:
        this.#out.other(`${ANTHROPIC_OTHER_PREFIX}${content.type}`, content);
        this.#adopt(state, index);
        if (content.type === "web_search_tool_result") {
          const done: EventDraft = {
            type: "web-search-done",
            itemId: String(content.tool_use_id ?? ""),
            meta: this.#meta(state.block),
          };
          const sources = sourcesOf(content.content);
          if (sources !== undefined) done.sources = sources;
          this.#out.emit(done);
        }
    }
  }

  #delta(index: number, event: AnthropicStreamEvent): void {
    const state = this.#content.get(index);
    const delta = event.delta;
    if (!state || !delta) return;
    switch (delta.type) {
      case "text_delta":
        if (!delta.text) return;
        this.#out.text(delta.text);
        if (!state.block) this.#adopt(state, index);
        if (state.type === "text" && this.#shortIndex !== index) this.#shortPath(index, false);
        return;
      case "thinking_delta":
        if (delta.thinking) this.#out.reasoning(delta.thinking);
        return;
      case "signature_delta":
        if (state.block?.kind === "reasoning") {
          state.block.payload.signature = (state.block.payload.signature ?? "") + (delta.signature ?? "");
        }
        return;
      case "input_json_delta":
        if (!delta.partial_json) return;
        if (state.type === "tool_use") {
          this.#out.toolCallArguments(index, delta.partial_json);
          if (this.#shortIndex !== index) this.#shortPath(index, true);
        } else state.json.push(delta.partial_json);
        return;
      case "citations_delta":
        if (delta.citation) this.#citation(state, delta.citation);
        return;
      default:
        return;
    }
  }

  /** The next deltas of block `index` (text, or a tool use's input JSON) take the short path of `handleData`. */
  #shortPath(index: number, tool: boolean): void {
    this.#shortIndex = index;
    this.#shortTool = tool;
    this.#shortPrefix = tool
      ? `{"type":"content_block_delta","index":${index},"delta":{"type":"input_json_delta","partial_json":`
      : `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":`;
  }

  #citation(state: ContentState, citation: JsonObject): void {
    state.citations.push(citation);
    const event: EventDraft = { type: "citation", data: citation, meta: this.#meta(state.block) };
    if (typeof citation.url === "string") event.url = citation.url;
    if (typeof citation.title === "string") event.title = citation.title;
    if (typeof citation.cited_text === "string") event.citedText = citation.cited_text;
    this.#out.emit(event);
  }

  #stop(index: number): void {
    this.#shortIndex = -1;
    const state = this.#content.get(index);
    if (!state) return;
    switch (state.type) {
      case "text":
        this.#out.endText();
        // Citations arrive before the text they cite; they are kept once the block has text.
        if (state.citations.length > 0 && state.block) {
          this.#out.annotate(state.block, KeyAnthropicCitations, state.citations);
        }
        return;
      case "thinking":
        this.#out.endReasoning();
        this.#out.emit({ type: "info", message: "thinking-ended", meta: this.#meta(state.block) });
        return;
      case "tool_use":
        this.#out.toolCallEnd(index);
        return;
      default: {
        const block = state.block;
        if (block?.kind !== "other" || state.json.length === 0) return;
        const data = block.payload.data as JsonObject;
        try {
          data.input = JSON.parse(state.json.join("")) as JsonValue;
        } catch {
          data.input = state.json.join("");
        }
        if (data.type === "server_tool_use" && data.name === "web_search") {
          const input = data.input;
          const started: EventDraft = {
            type: "web-search-started",
            itemId: String(data.id ?? ""),
            meta: this.#meta(block),
          };
          if (
            typeof input === "object" &&
            input !== null &&
            !Array.isArray(input) &&
            typeof input.query === "string"
          ) {
            started.query = input.query;
          }
          this.#out.emit(started);
        }
      }
    }
  }

  /**
   * Handles a whole (non-streaming) message by replaying it as stream events.
   *
   * @example
   * handler.handleMessage(await response.json());
   */
  handleMessage(message: AnthropicResponseMessage): void {
    this.handle({ type: "message_start", message: { ...message, content: [] } });
    (message.content ?? []).forEach((content, index) => {
      switch (content.type) {
        case "text":
          this.handle({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
          this.handle({
            type: "content_block_delta",
            index,
            delta: { type: "text_delta", text: String(content.text) },
          });
          if (Array.isArray(content.citations)) {
            for (const citation of content.citations as JsonObject[]) {
              this.handle({
                type: "content_block_delta",
                index,
                delta: { type: "citations_delta", citation },
              });
            }
          }
          break;
        case "tool_use":
        case "server_tool_use": {
          this.handle({ type: "content_block_start", index, content_block: { ...content, input: {} } });
          const partial = JSON.stringify(content.input ?? {});
          this.handle({
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: partial },
          });
          break;
        }
        default:
          this.handle({ type: "content_block_start", index, content_block: content });
      }
      this.handle({ type: "content_block_stop", index });
    });
    const delta: NonNullable<AnthropicStreamEvent["delta"]> = { stop_reason: message.stop_reason ?? null };
    this.handle({ type: "message_delta", delta, ...(message.usage ? { usage: message.usage } : {}) });
    this.handle({ type: "message_stop" });
  }
}
