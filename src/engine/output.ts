/**
 * InferenceOutput: what every engine uses to turn a provider stream into Blocks and events.
 *
 * An engine feeds it pieces as they arrive (text, reasoning, tool-call argument deltas, usage, stop reason) and
 * ends with `finish()`, `interrupt()` or `fail()`. It keeps the partial output at every moment, so cancellation
 * and errors never lose what streamed; it publishes the events of the vocabulary in order with ids stamped;
 * and it writes the normalized InferenceResult on the returned Turn.
 *
 * Costs per streamed piece are O(1): the cumulative `completion` is built by string concatenation (a rope in
 * V8, flattened only if a sink reads it) and tool-call arguments are kept as a list of chunks joined once.
 */
import { eventTime } from "../events/clock.ts";
import { publish, type RunContext } from "../events/context.ts";
import type { EventDraft, EventMetadata, EventMetadataDraft, Usage } from "../events/types.ts";
import { newId } from "../turns/builders.ts";
import { deepFreeze } from "../turns/immutable.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../turns/json.ts";
import {
  type BlockMetadataKey,
  KeyBlockMetaProvider,
  KeyTurnMetaModel,
  KeyTurnMetaProvider,
} from "../turns/keys.ts";
import type { Block, ReasoningPayload, ToolCallBlock, Turn } from "../turns/types.ts";
import { type CheckpointSource, type StreamCheckpointer, startCheckpointer } from "./checkpoint.ts";
import { type FinishClass, type InferenceResult, KeyInferenceResult } from "./engine.ts";
import { type GeppettoError, toGeppettoError } from "./errors.ts";

/** What an engine tells InferenceOutput about itself. */
export interface InferenceOutputOptions {
  provider: string;
  model?: string;
  /**
   * Removes secrets (the API key) from an error message. Applied to every failure, whatever raised it (the
   * transport, or an error the provider sent inside the stream), before the error is published or thrown.
   */
  scrub?: (message: string) => string;
  /** Rewrites a tool call's complete arguments text before it is parsed (strict-mode nulls read as absent). */
  toolArguments?: ((name: string, text: string) => string) | undefined;
}

interface TextPayloadLike {
  text: string;
}

interface PendingToolCall {
  block: ToolCallBlock;
  chunks: string[];
  index: number;
  done: boolean;
}

/**
 * The deltas of one streamed text, joined into one flat string at the end. They are joined by batches of 64 as
 * they come, while they are still in the CPU cache: joining thousands of scattered small strings at the end cost
 * about 100 ns each (measured on the bench's 2,000-token answers), in batches about a tenth of it.
 */
class TextPieces {
  #batch: string[] = [];
  readonly #joined: string[] = [];
  /** How many of `#joined` a streaming checkpoint has saved. */
  #saved = 0;
  count = 0;

  /** `saved`: text the block held before its first delta (a checkpoint saved it with the block). */
  constructor(saved?: string) {
    if (saved === undefined) return;
    this.#joined.push(saved);
    this.#saved = 1;
    this.count = 1;
  }

  push(delta: string): void {
    const batch = this.#batch;
    batch.push(delta);
    this.count++;
    if (batch.length === 64) {
      this.#joined.push(batch.join(""));
      this.#batch = [];
    }
  }

  join(): string {
    if (this.#batch.length > 0) this.#joined.push(this.#batch.join(""));
    this.#batch = [];
    return this.#joined.length === 1 ? this.#joined[0]! : this.#joined.join("");
  }

  /** The text pushed since the previous `take` ("" when none); with `discard`, only marks it taken. */
  take(discard = false): string {
    if (this.#batch.length > 0) this.#joined.push(this.#batch.join(""));
    this.#batch = [];
    const from = this.#saved;
    const to = this.#joined.length;
    this.#saved = to;
    if (discard || from === to) return "";
    return from + 1 === to ? this.#joined[from]! : this.#joined.slice(from).join("");
  }
}

/**
 * One frozen block metadata object per provider name, shared by the blocks of every output of that provider
 * (a block that is annotated gets its own copy), so a long conversation does not hold one per answer.
 */
const providerBlockMetadata = new Map<string, JsonObject>();

function blockMetadataOf(provider: string): JsonObject {
  let metadata = providerBlockMetadata.get(provider);
  if (metadata === undefined) {
    metadata = deepFreeze({ [KeyBlockMetaProvider.id]: provider });
    providerBlockMetadata.set(provider, metadata);
  }
  return metadata;
}

/**
 * Short strings that every answer repeats (model names, stop reasons): each answer's copy, parsed from its own
 * response, is replaced by the first one seen, so the turns of a conversation share one. At most 256 are kept.
 */
const sharedStrings = new Map<string, string>();

function shared(value: string): string {
  const known = sharedStrings.get(value);
  if (known !== undefined) return known;
  if (value.length <= 64 && sharedStrings.size < 256) sharedStrings.set(value, value);
  return value;
}

/** Parses tool-call argument text into an object; keeps the text when it is not one. */
export function parseToolArguments(text: string): { args: JsonObject; argsText?: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { args: {} };
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (isJsonObject(parsed)) return { args: parsed };
  } catch {
    // fall through: kept as text below
  }
  return { args: {}, argsText: text };
}

/**
 * Collects one inference's output. Create one per `runInference` call.
 *
 * @example
 * const out = new InferenceOutput(ctx, turn, { provider: "openai", model });
 * out.start();
 * for await (const chunk of stream) out.text(chunk.delta);
 * return out.finish({ stopReason: "stop" });
 */
export class InferenceOutput {
  readonly messageId = newId();
  readonly #ctx: RunContext;
  readonly #input: Turn;
  readonly #provider: string;
  readonly #scrub: ((message: string) => string) | undefined;
  readonly #toolArguments: InferenceOutputOptions["toolArguments"];
  #model: string | undefined;
  readonly #startedAt = performance.now();
  readonly #blocks: Block[] = [];
  #openText: Block | undefined;
  #openReasoning: Block | undefined;
  #completion = "";
  #thinking = "";
  readonly #toolCalls = new Map<string | number, PendingToolCall>();
  readonly #blockMetadata: JsonObject;
  /** The deltas of each streamed text or reasoning block, joined into one flat string at the end (a string built
   * by `+=` is a rope of one node per delta, which would stay in memory as long as the Turn). */
  readonly #pieces = new Map<TextPayloadLike, TextPieces>();
  /** The pieces of the open text block (its entry in `#pieces`), so a delta costs no map lookup. */
  #openTextPieces: TextPieces | undefined;
  /** True while the open text block is the whole answer so far: its text is `#completion`, not a second copy. */
  #textIsCompletion = false;
  /** The metadata every streamed piece shares (rebuilt when the model or usage changes), copied per event. */
  #pieceMeta: EventMetadata | undefined;
  #toolCallCount = 0;
  #usage: Usage | undefined;
  #stopReason: string | undefined;
  #finishClass: FinishClass | undefined;
  #requestId: string | undefined;
  #responseId: string | undefined;
  /** What the provider's response said beyond the stream (`meta.extra` of the ending event). */
  #responseExtra: Record<string, JsonValue> | undefined;
  #ended = false;
  /** Saves the partial answer now and then while it streams, when the context asks for it (a persister). */
  readonly #checkpointer: StreamCheckpointer | undefined;

  constructor(ctx: RunContext, input: Turn, options: InferenceOutputOptions) {
    this.#ctx = ctx;
    this.#input = input;
    this.#provider = options.provider;
    this.#toolArguments = options.toolArguments;
    this.#blockMetadata = blockMetadataOf(options.provider);
    this.#scrub = options.scrub;
    this.#model = options.model;
    this.#checkpointer = startCheckpointer(ctx, this.#checkpointSource());
  }

  /** What a streaming checkpoint reads: the blocks, the metadata, and the text streamed since it last looked. */
  #checkpointSource(): CheckpointSource {
    return {
      input: this.#input,
      blocks: this.#blocks,
      metadata: () => this.#turnMetadata(this.#result("interrupted")),
      takeText: (block, discard) => this.#pieces.get(block.payload as TextPayloadLike)?.take(discard) ?? "",
    };
  }

  /** The answer text so far. */
  get completion(): string {
    return this.#completion;
  }

  /** The blocks produced so far. */
  get blocks(): readonly Block[] {
    return this.#blocks;
  }

  /** True once finish, interrupt or fail was called. */
  get ended(): boolean {
    return this.#ended;
  }

  #meta(blockId?: string): EventMetadataDraft {
    const meta: EventMetadataDraft = {
      id: this.messageId,
      turnId: this.#ctx.ids.turnId ?? this.#input.id,
      provider: this.#provider,
      durationMs: performance.now() - this.#startedAt,
    };
    if (blockId !== undefined) meta.blockId = blockId;
    if (this.#model !== undefined) meta.model = this.#model;
    if (this.#usage !== undefined) meta.usage = this.#usage;
    return meta;
  }

  /**
   * The metadata of a streamed piece of a block: a copy of one prepared object with the fields `#meta` and
   * `publish` set, in their order, so a token costs one allocation and no change of the object's shape.
   */
  #pieceMetaOf(blockId: string): EventMetadataDraft {
    let shared = this.#pieceMeta;
    if (shared === undefined) {
      shared = this.#meta("") as EventMetadata;
      shared.seq = 0;
      const ids = this.#ctx.ids;
      if (ids.sessionId !== undefined) shared.sessionId = ids.sessionId;
      if (ids.inferenceId !== undefined) shared.inferenceId = ids.inferenceId;
      this.#pieceMeta = shared;
    }
    const meta = { ...shared };
    meta.durationMs = eventTime() - this.#startedAt;
    meta.blockId = blockId;
    return meta;
  }

  #newBlock<B extends Block>(block: Omit<B, "id" | "metadata">): B {
    // One frozen metadata object shared by this output's blocks until one is annotated (a block costs its content).
    const full = { id: newId(), ...block, metadata: this.#blockMetadata } as B;
    this.#blocks.push(full);
    return full;
  }

  /**
   * Publishes an event of this inference with this stream's metadata (message id, turn, provider, model, usage,
   * duration); fields of the draft's own `meta` (a `blockId`, say) win.
   */
  emit(event: EventDraft): void {
    const own = event.meta;
    event.meta = own === undefined ? this.#meta() : { ...this.#meta(own.blockId), ...own };
    publish(this.#ctx, event);
  }

  /** Publishes a `log` warning of this inference (a setting a provider ignores, a dropped block, …). */
  warn(message: string): void {
    this.emit({ type: "log", level: "warn", message });
  }

  /** Sets the model when the provider reports it (e.g. in its first chunk). */
  setModel(model: string): void {
    if (model === this.#model) return;
    this.#model = shared(model);
    this.#pieceMeta = undefined;
  }

  /** Publishes `start`. */
  start(): void {
    publish(this.#ctx, { type: "start", meta: this.#meta() });
  }

  /** Appends answer text; publishes `partial`. Starts a new `llm_text` block after any other block. */
  text(delta: string): void {
    if (delta.length === 0) return;
    this.#openReasoning = undefined;
    let block = this.#openText;
    let pieces = this.#openTextPieces;
    if (!block || !pieces) {
      block = this.#newBlock({ kind: "llm_text", role: "assistant", payload: { text: "" } });
      this.#openText = block;
      pieces = new TextPieces();
      this.#pieces.set(block.payload as TextPayloadLike, pieces);
      this.#openTextPieces = pieces;
      this.#textIsCompletion = this.#completion.length === 0;
    }
    pieces.push(delta);
    const completion = this.#completion + delta;
    this.#completion = completion;
    const payload = block.payload as TextPayloadLike;
    payload.text = this.#textIsCompletion ? completion : payload.text + delta;
    this.#checkpointer?.add(delta.length);
    publish(this.#ctx, { type: "partial", delta, completion, meta: this.#pieceMetaOf(block.id) });
  }

  /** Ends the current text block: the next text starts a new one (providers with several text blocks). */
  endText(): void {
    this.#openText = undefined;
  }

  /** Appends reasoning text; publishes `partial-thinking`. */
  reasoning(delta: string, fields: Omit<ReasoningPayload, "text"> = {}): void {
    this.#openText = undefined;
    let block = this.#openReasoning;
    if (!block) {
      block = this.#newBlock({ kind: "reasoning", role: "assistant", payload: { ...fields } });
      this.#openReasoning = block;
    } else if (Object.keys(fields).length > 0) {
      Object.assign(block.payload, fields);
      this.#checkpointer?.changed(block);
    }
    if (delta.length === 0) return;
    const payload = block.payload as ReasoningPayload;
    payload.text = (payload.text ?? "") + delta;
    this.#piece(payload as TextPayloadLike, delta);
    this.#thinking += delta;
    this.#checkpointer?.add(delta.length);
    publish(this.#ctx, {
      type: "partial-thinking",
      delta,
      completion: this.#thinking,
      meta: this.#pieceMetaOf(block.id),
    });
  }

  /** Sets fields on the open reasoning block (a signature that arrives after the text, say). */
  updateReasoning(fields: Partial<ReasoningPayload>): void {
    if (!this.#openReasoning) this.reasoning("", {});
    Object.assign(this.#openReasoning!.payload, fields);
    this.#checkpointer?.changed(this.#openReasoning!);
  }

  /** Adds a whole reasoning block (redacted thinking, an encrypted item) and closes any open one. */
  reasoningBlock(payload: ReasoningPayload): Block {
    this.#openText = undefined;
    this.#openReasoning = undefined;
    const block = this.#newBlock({ kind: "reasoning", role: "assistant", payload });
    if (payload.text) {
      this.#thinking += payload.text;
      publish(this.#ctx, {
        type: "partial-thinking",
        delta: payload.text,
        completion: this.#thinking,
        meta: this.#meta(block.id),
      });
    }
    return block;
  }

  /** Ends the open reasoning block. */
  endReasoning(): void {
    this.#openReasoning = undefined;
  }

  /**
   * Begins a streamed tool call. `key` is the provider's index or item id used by later deltas.
   * The block takes its place in the output now, so interleaving with text is kept.
   */
  toolCallStart(key: string | number, call: { id: string; name: string }): void {
    this.#openText = undefined;
    this.#openReasoning = undefined;
    const block = this.#newBlock<ToolCallBlock>({
      kind: "tool_call",
      role: "assistant",
      payload: { id: call.id, name: call.name, args: {} },
    });
    this.#toolCalls.set(key, { block, chunks: [], index: this.#toolCallCount++, done: false });
  }

  /** True when a streamed tool call with this key has started. */
  hasToolCall(key: string | number): boolean {
    return this.#toolCalls.has(key);
  }

  /** Updates the id or name of a streamed tool call (some providers send them late). */
  toolCallUpdate(key: string | number, fields: { id?: string; name?: string }): void {
    const pending = this.#toolCalls.get(key);
    if (!pending) return;
    if (fields.id) pending.block.payload.id = fields.id;
    if (fields.name) pending.block.payload.name = fields.name;
    this.#checkpointer?.changed(pending.block);
  }

  /** Appends argument text to a streamed tool call; publishes `tool-call-arguments-delta`. */
  toolCallArguments(key: string | number, delta: string): void {
    const pending = this.#toolCalls.get(key);
    if (!pending || delta.length === 0) return;
    pending.chunks.push(delta);
    const payload = pending.block.payload;
    publish(this.#ctx, {
      type: "tool-call-arguments-delta",
      toolCallId: payload.id,
      name: payload.name,
      index: pending.index,
      delta,
      meta: this.#pieceMetaOf(pending.block.id),
    });
  }

  /** Completes a streamed tool call: parses its arguments and publishes `tool-call`. */
  toolCallEnd(key: string | number, finalArguments?: string): ToolCallBlock | undefined {
    const pending = this.#toolCalls.get(key);
    if (!pending || pending.done) return pending?.block;
    pending.done = true;
    const payload = pending.block.payload;
    const joined = finalArguments ?? pending.chunks.join("");
    const text = this.#toolArguments ? this.#toolArguments(payload.name, joined) : joined;
    const { args, argsText } = parseToolArguments(text);
    payload.args = args;
    if (argsText !== undefined) payload.argsText = argsText;
    this.#checkpointer?.changed(pending.block);
    publish(this.#ctx, {
      type: "tool-call",
      toolCall: { id: payload.id, name: payload.name, input: args },
      meta: this.#meta(pending.block.id),
    });
    return pending.block;
  }

  /** Adds a complete tool call (providers that do not stream arguments). */
  toolCall(call: { id: string; name: string; args: JsonObject | string }): ToolCallBlock {
    const key = `__complete_${this.#toolCallCount}`;
    this.toolCallStart(key, call);
    const text = typeof call.args === "string" ? call.args : undefined;
    if (typeof call.args !== "string") {
      const pending = this.#toolCalls.get(key)!;
      pending.done = true;
      pending.block.payload.args = call.args;
      this.#checkpointer?.changed(pending.block);
      publish(this.#ctx, {
        type: "tool-call",
        toolCall: { id: call.id, name: call.name, input: call.args },
        meta: this.#meta(pending.block.id),
      });
      return pending.block;
    }
    return this.toolCallEnd(key, text)!;
  }

  /** Adds a block of a kind geppetto does not model (server tool results, …). */
  other(type: string, data: JsonValue): Block {
    this.#openText = undefined;
    this.#openReasoning = undefined;
    return this.#newBlock({ kind: "other", payload: { type, data } });
  }

  /** Sets a metadata key on a produced block (provider item ids, say). */
  annotate<T>(block: Block, key: BlockMetadataKey<T>, value: T): void {
    if (block.metadata === this.#blockMetadata) block.metadata = { ...this.#blockMetadata };
    (block.metadata as Record<string, unknown>)[key.id] = value;
    this.#checkpointer?.changed(block);
  }

  /** The block most recently produced. */
  get lastBlock(): Block | undefined {
    return this.#blocks[this.#blocks.length - 1];
  }

  /** Records usage (merged field by field with what was reported before). */
  usage(usage: Usage): void {
    this.#usage = { ...this.#usage, ...usage };
    this.#pieceMeta = undefined;
  }

  /** Records the provider's stop reason and, when known, the normalized finish class. */
  stop(stopReason: string | undefined, finishClass?: FinishClass): void {
    if (stopReason !== undefined) this.#stopReason = shared(stopReason);
    if (finishClass !== undefined) this.#finishClass = finishClass;
  }

  /** Records the provider's request and response ids. */
  ids(ids: { requestId?: string | undefined; responseId?: string | undefined }): void {
    if (ids.requestId) this.#requestId = ids.requestId;
    if (ids.responseId) this.#responseId = ids.responseId;
  }

  /**
   * What the provider's response said beyond the stream (status, request id, rate-limit headers…), put in
   * `meta.extra` of the ending event (`final`, `interrupt` or `error`).
   */
  responseExtra(extra: Record<string, JsonValue> | undefined): void {
    this.#responseExtra = extra;
  }

  /** The metadata of the ending event. */
  #endMeta(): EventMetadataDraft {
    const meta = this.#meta();
    if (this.#responseExtra !== undefined) meta.extra = this.#responseExtra;
    return meta;
  }

  /** Ends the output: closes open tool calls; the blocks are final from now on, so they are frozen. */
  #end(): void {
    this.#ended = true;
    this.#checkpointer?.stop();
    for (const [key, pending] of this.#toolCalls) if (!pending.done) this.toolCallEnd(key);
    for (const [payload, pieces] of this.#pieces) if (pieces.count > 1) payload.text = pieces.join();
    this.#pieces.clear();
    for (const block of this.#blocks) deepFreeze(block);
  }

  #piece(payload: TextPayloadLike, delta: string): void {
    let pieces = this.#pieces.get(payload);
    if (!pieces) {
      pieces = new TextPieces(payload.text !== delta ? payload.text.slice(0, -delta.length) : undefined);
      this.#pieces.set(payload, pieces);
    }
    pieces.push(delta);
  }

  #result(finishClass: FinishClass, extra: Partial<InferenceResult> = {}): InferenceResult {
    const result: InferenceResult = {
      provider: this.#provider,
      finishClass,
      truncated: finishClass === "max_tokens" || finishClass === "interrupted",
      durationMs: Math.round(performance.now() - this.#startedAt),
      ...extra,
    };
    if (this.#model !== undefined) result.model = this.#model;
    if (this.#stopReason !== undefined) result.stopReason = this.#stopReason;
    if (this.#usage !== undefined) result.usage = this.#usage;
    if (this.#requestId !== undefined) result.requestId = this.#requestId;
    if (this.#responseId !== undefined) result.responseId = this.#responseId;
    return result;
  }

  #turn(result: InferenceResult): Turn {
    return {
      ...this.#input,
      blocks: [...this.#input.blocks, ...this.#blocks],
      metadata: this.#turnMetadata(result),
    };
  }

  #turnMetadata(result: InferenceResult): JsonObject {
    // Written directly rather than through `key.set`, which deep-copies and checks a caller's value: these are
    // fresh JSON values built here (usage is copied, as event metadata shares the live object), and the copy
    // cost ~20 µs per request.
    const metadata: JsonObject = { ...this.#input.metadata, [KeyTurnMetaProvider.id]: this.#provider };
    if (this.#model !== undefined) metadata[KeyTurnMetaModel.id] = this.#model;
    const recorded = result.usage ? { ...result, usage: { ...result.usage } } : result;
    metadata[KeyInferenceResult.id] = recorded as unknown as JsonObject;
    return metadata;
  }

  /** The partial Turn as it stands, with a result of the given class. Does not publish. */
  snapshot(finishClass: FinishClass = "unknown"): Turn {
    return this.#turn(this.#result(finishClass));
  }

  /** Ends normally: publishes `final` and returns the new Turn. */
  finish(): Turn {
    this.#end();
    const hasToolCalls = this.#blocks.some((block) => block.kind === "tool_call");
    const finishClass = this.#finishClass ?? (hasToolCalls ? "tool_calls_pending" : "completed");
    const result = this.#result(finishClass);
    publish(this.#ctx, { type: "final", text: this.#completion, meta: this.#endMeta() });
    return this.#turn(result);
  }

  /** Ends on cancellation: publishes `interrupt` and returns the partial Turn (finish class `interrupted`). */
  interrupt(): Turn {
    this.#end();
    publish(this.#ctx, { type: "interrupt", text: this.#completion, meta: this.#endMeta() });
    return this.#turn(this.#result("interrupted"));
  }

  /**
   * Ends on failure: publishes `error` and returns the error to throw, with the partial Turn attached
   * (finish class `error`).
   */
  fail(cause: unknown): GeppettoError {
    this.#end();
    const error = toGeppettoError(cause, { code: "internal_error", fault: "provider" });
    if (this.#scrub) error.message = this.#scrub(error.message);
    const event: EventDraft & { type: "error" } = {
      type: "error",
      message: error.message,
      code: error.code,
      fault: error.fault,
      retryable: error.retryable,
      text: this.#completion,
      meta: this.#endMeta(),
    };
    const status = (error as { status?: number }).status;
    if (typeof status === "number") event.status = status;
    publish(this.#ctx, event);
    error.turn = this.#turn(this.#result("error", { error: error.message }));
    return error;
  }
}
