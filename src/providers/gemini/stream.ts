/**
 * Gemini response chunks → InferenceOutput calls (blocks and events).
 *
 * One handler per inference. Feed it every parsed chunk in order with `handle(chunk)` — an SSE `data:` payload,
 * a JSON-array element, or the whole non-streaming response (a response is a chunk with everything in it).
 * Parts of candidate 0 become blocks:
 * - `text` → answer text (consecutive pieces share one `llm_text` block); `thought: true` → reasoning;
 * - `functionCall` with `args` → a complete tool call; with `willContinue`/`partialArgs` → a streamed one whose
 *   arguments are assembled from `partialArgs` and published as `tool-call-arguments-delta` events, ended by
 *   an empty `functionCall` (or one without `willContinue`);
 * - any other part (inline data, executable code…) → an `other` block of type `gemini.part`, replayed as is.
 *
 * Thought signatures stay with their part (see `descriptor.ts`). Gemini gives function calls no ids, so ids are
 * generated (`geminiCallId`). An `error` object in a chunk throws a ProviderError.
 */
import type { InferenceOutput } from "../../engine/output.ts";
import { PartialArgsAssembler } from "../../provider-kit/partial-args.ts";
import type { JsonObject } from "../../turns/json.ts";
import { randomUUID } from "../../turns/lazy-require.ts";
import type { Block } from "../../turns/types.ts";
import {
  GEMINI_PART_TYPE,
  geminiCallId,
  KeyGeminiCallId,
  KeyGeminiResponseId,
  KeyGeminiThoughtSignature,
  KeyGeminiTrailingSignature,
} from "./descriptor.ts";
import {
  blockReasonName,
  finishReasonName,
  finishWarning,
  geminiFinishClass,
  geminiStreamError,
  usageFromGemini,
} from "./stream-finish.ts";
import type { GeminiFunctionCall, GeminiPart, GeminiResponse } from "./wire.ts";

interface StreamedCall {
  key: string;
  assembler: PartialArgsAssembler;
}

/**
 * Turns Gemini chunks into blocks and events.
 *
 * @example
 * const handler = new GeminiStreamHandler(out);
 * await response.sse((data) => handler.handle(JSON.parse(data)));
 * handler.end();
 */
export class GeminiStreamHandler {
  readonly #out: InferenceOutput;
  #responseId: string | undefined;
  #modelSet = false;
  #callCount = 0;
  #textBlock: Block | undefined;
  #reasoningBlock: Block | undefined;
  #call: StreamedCall | undefined;
  #finishReason: string | undefined;

  constructor(out: InferenceOutput) {
    this.#out = out;
  }

  /** The finish reason name once a candidate reported one (or a prompt block reason). */
  get finishReason(): string | undefined {
    return this.#finishReason;
  }

  /** Handles one chunk (or a whole response). Throws a ProviderError when the chunk is an error. */
  handle(chunk: GeminiResponse): void {
    const out = this.#out;
    if (chunk.error) throw geminiStreamError(chunk.error);
    if (!this.#modelSet && chunk.modelVersion) {
      this.#modelSet = true;
      out.setModel(chunk.modelVersion);
    }
    if (chunk.responseId && chunk.responseId !== this.#responseId) {
      this.#responseId = chunk.responseId;
      out.ids({ responseId: chunk.responseId });
    }
    if (chunk.usageMetadata) out.usage(usageFromGemini(chunk.usageMetadata));
    const candidate = chunk.candidates?.[0];
    const parts = candidate?.content?.parts;
    if (parts) for (const part of parts) this.#part(part);
    if (candidate?.finishReason !== undefined) {
      this.end();
      this.#stop(finishReasonName(candidate.finishReason), candidate.finishMessage);
    }
    const blocked = chunk.promptFeedback?.blockReason;
    if (blocked !== undefined && !candidate) {
      const name = blockReasonName(blocked);
      this.#stop(`PROMPT_BLOCKED_${name}`, chunk.promptFeedback?.blockReasonMessage);
      this.#out.warn(
        `gemini blocked the prompt (${name})${chunk.promptFeedback?.blockReasonMessage ? `: ${chunk.promptFeedback.blockReasonMessage}` : ""}`,
      );
    }
  }

  /** Ends a streamed function call left open (at the end of the stream). */
  end(): void {
    if (this.#call) this.#endCall();
  }

  #stop(name: string, message: string | undefined): void {
    this.#finishReason = name;
    this.#out.stop(name, name.startsWith("PROMPT_BLOCKED_") ? "unknown" : geminiFinishClass(name));
    const warning = finishWarning(name, message);
    if (warning) this.#out.warn(warning);
  }

  #part(part: GeminiPart): void {
    if (part.functionCall) {
      this.#functionCall(part.functionCall, part.thoughtSignature);
      return;
    }
    if (this.#call) this.#endCall();
    if (typeof part.text === "string") {
      if (part.thought === true) this.#thought(part.text, part.thoughtSignature);
      else this.#text(part.text, part.thoughtSignature);
      return;
    }
    this.#closeOpen();
    this.#out.other(GEMINI_PART_TYPE, part as JsonObject);
  }

  #closeOpen(): void {
    this.#textBlock = undefined;
    this.#reasoningBlock = undefined;
  }

  #thought(text: string, signature: string | undefined): void {
    const out = this.#out;
    this.#textBlock = undefined;
    const open = this.#reasoningBlock;
    if (signature !== undefined && open?.kind === "reasoning" && open.payload.signature !== undefined) {
      out.endReasoning();
      this.#reasoningBlock = undefined;
    }
    out.reasoning(text);
    if (signature !== undefined) out.updateReasoning({ signature });
    this.#reasoningBlock = out.lastBlock;
  }

  #text(text: string, signature: string | undefined): void {
    const out = this.#out;
    this.#reasoningBlock = undefined;
    if (text.length === 0) {
      if (signature === undefined) return;
      // A signature on an empty text part: it belongs after the block before it.
      const last = out.lastBlock;
      if (last && !KeyGeminiTrailingSignature.has(last))
        out.annotate(last, KeyGeminiTrailingSignature, signature);
      else out.other(GEMINI_PART_TYPE, { text: "", thoughtSignature: signature });
      out.endText();
      out.endReasoning();
      this.#textBlock = undefined;
      return;
    }
    if (signature !== undefined && this.#textBlock && KeyGeminiThoughtSignature.has(this.#textBlock)) {
      out.endText();
    }
    out.text(text);
    this.#textBlock = out.lastBlock;
    if (signature !== undefined && this.#textBlock) {
      out.annotate(this.#textBlock, KeyGeminiThoughtSignature, signature);
    }
  }

  #annotateCall(block: Block, call: GeminiFunctionCall, signature: string | undefined): void {
    const out = this.#out;
    if (signature !== undefined) out.annotate(block, KeyGeminiThoughtSignature, signature);
    if (call.id) out.annotate(block, KeyGeminiCallId, call.id);
    if (this.#responseId) out.annotate(block, KeyGeminiResponseId, this.#responseId);
  }

  #functionCall(call: GeminiFunctionCall, signature: string | undefined): void {
    const out = this.#out;
    this.#closeOpen();
    const starts = typeof call.name === "string" && call.name.length > 0;
    if (starts) {
      if (this.#call) this.#endCall();
      const index = this.#callCount++;
      const id = call.id || geminiCallId(this.#responseId ?? randomUUID().slice(0, 8), index);
      const streamed = call.willContinue === true || call.partialArgs !== undefined;
      if (!streamed) {
        const block = out.toolCall({ id, name: call.name!, args: call.args ?? {} });
        this.#annotateCall(block, call, signature);
        return;
      }
      const key = `gemini_call_${index}`;
      out.toolCallStart(key, { id, name: call.name! });
      this.#annotateCall(out.lastBlock!, call, signature);
      const assembler = new PartialArgsAssembler();
      if (call.args) Object.assign(assembler.args, call.args);
      this.#call = { key, assembler };
    }
    const open = this.#call;
    if (!open) return;
    for (const partial of call.partialArgs ?? []) {
      const delta = open.assembler.apply(partial);
      if (delta) out.toolCallArguments(open.key, delta);
    }
    if (call.willContinue !== true) this.#endCall();
  }

  #endCall(): void {
    const open = this.#call!;
    this.#call = undefined;
    const { text, rest } = open.assembler.finish();
    if (rest) this.#out.toolCallArguments(open.key, rest);
    this.#out.toolCallEnd(open.key, text);
  }
}
