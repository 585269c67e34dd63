/**
 * FilteringSink: removes `<package:type:version> … </package:type:version>` blocks from the streamed answer text
 * and hands each block's payload to the extractor registered for its tag, publishing the events the extractor
 * returns. Everything else passes through untouched.
 */
import { CallerError } from "../engine/errors.ts";
import type { EventSink } from "../events/context.ts";
import type { EventMetadata, GeppettoEvent } from "../events/types.ts";
import {
  type Extractor,
  type ExtractorEvents,
  type ExtractorSession,
  extractorKey,
  StructuredBlockMalformed,
  type StructuredBlockMalformedPayload,
} from "./extractor.ts";
import { type AbandonReason, type BlockTag, TagScanner, type TagScannerHandler } from "./tag-scanner.ts";

/**
 * What happens to a block that is never closed by the end of its stream, or whose payload outgrows
 * `maxCaptureBytes`. In every case the extractor's `onCompleted(raw, false, error)` is called.
 * - `error-events`: the block's text is dropped and a {@link StructuredBlockMalformed} event is published.
 * - `reconstruct-text`: the block's original text is put back into the forwarded text (an oversized block is
 *   released as text at the point where it outgrew the cap, and scanning goes on from there).
 * - `ignore`: the block's text is dropped silently.
 */
export type MalformedPolicy = "error-events" | "reconstruct-text" | "ignore";

/** FilteringSink options. */
export interface FilteringSinkOptions {
  /** Default `error-events`. */
  malformed?: MalformedPolicy;
  /** Largest block payload in UTF-8 bytes (default 1 MiB). Larger blocks are malformed; memory stays bounded. */
  maxCaptureBytes?: number;
  /** Longest open tag, brackets included (default 256): longer candidates are plain text. */
  maxTagLength?: number;
}

const POLICIES: readonly MalformedPolicy[] = ["error-events", "reconstruct-text", "ignore"];
const TAG_PART = /^[A-Za-z0-9_.-]+$/;

type TextEvent = Extract<GeppettoEvent, { type: "partial" | "final" | "interrupt" | "error" }>;

interface StreamState {
  scanner: TagScanner;
  /** The filtered answer text forwarded so far. */
  completion: string;
  /** Length of the raw text seen through `partial` deltas. */
  rawLength: number;
  sawPartial: boolean;
  blockCount: number;
  session: ExtractorSession | undefined;
  block: { tag: BlockTag; itemId: string } | undefined;
  /** The text event being processed. */
  source: TextEvent;
  /** What processing the source produced, in order: forwarded text pieces and extractor events. */
  output: (string | GeppettoEvent)[];
}

/**
 * Wraps a sink: filters tagged blocks out of `partial`, `final`, `interrupt` and `error` text and publishes the
 * events of the extractors. State is kept per stream (`meta.id`), so interleaved streams never mix, and is
 * dropped at the stream's `final`, `interrupt` or `error`.
 *
 * The forwarded text is consistent: the `delta`s of the forwarded `partial`s concatenate to their `completion`,
 * which ends equal to the `final` (or `interrupt`/`error`) text. Text before a block is forwarded before the
 * block's extractor events, text after it after them. Extractor events carry the `seq` of the text event that
 * produced them. Per event the cost is O(delta): the filtered completion is kept incrementally.
 *
 * Malformed input never throws out of `publish`; an extractor that throws is dropped for the rest of its block
 * and reported with a {@link StructuredBlockMalformed} event (reason `extractor-error`). A stream that never
 * ends (no `final`, `interrupt` or `error`) keeps its state; see {@link FilteringSink.openStreams}.
 *
 * @example
 * const sink = new FilteringSink(printer, { malformed: "reconstruct-text" }, citationsExtractor);
 * await engine.runInference(turn, RunContext.background().withSinks(sink));
 */
export class FilteringSink implements EventSink {
  readonly #next: EventSink;
  readonly #policy: MalformedPolicy;
  readonly #maxCaptureBytes: number;
  readonly #maxTagLength: number;
  readonly #extractors = new Map<string, Extractor>();
  readonly #streams = new Map<string, StreamState>();

  constructor(next: EventSink, options: FilteringSinkOptions = {}, ...extractors: Extractor[]) {
    this.#next = next;
    this.#policy = options.malformed ?? "error-events";
    this.#maxCaptureBytes = options.maxCaptureBytes ?? 1 << 20;
    this.#maxTagLength = options.maxTagLength ?? 256;
    if (!POLICIES.includes(this.#policy)) {
      throw new CallerError(
        `FilteringSink: options.malformed must be one of ${POLICIES.join(", ")} (got ${JSON.stringify(this.#policy)})`,
      );
    }
    if (!(this.#maxCaptureBytes >= 0)) {
      throw new CallerError(
        `FilteringSink: options.maxCaptureBytes must be a number >= 0 (got ${this.#maxCaptureBytes})`,
      );
    }
    if (!(this.#maxTagLength >= 7)) {
      throw new CallerError(`FilteringSink: options.maxTagLength must be >= 7 (got ${this.#maxTagLength})`);
    }
    for (const extractor of extractors) {
      const key = extractorKey(extractor);
      const parts = [extractor.package, extractor.type, extractor.version];
      if (!parts.every((part) => typeof part === "string" && TAG_PART.test(part))) {
        throw new CallerError(
          `FilteringSink: extractor tag <${key}> is invalid: package, type and version must match [A-Za-z0-9_.-]+`,
        );
      }
      if (this.#extractors.has(key)) {
        throw new CallerError(`FilteringSink: two extractors are registered for <${key}>`);
      }
      this.#extractors.set(key, extractor);
    }
  }

  /** Number of streams with state (streams that have not ended yet). */
  get openStreams(): number {
    return this.#streams.size;
  }

  publish(event: GeppettoEvent): void | Promise<void> {
    switch (event.type) {
      case "partial":
        return this.#partial(event);
      case "final":
      case "interrupt":
      case "error":
        return this.#forward(this.#end(event, event.text));
      default:
        return this.#next.publish(event);
    }
  }

  #partial(event: Extract<GeppettoEvent, { type: "partial" }>): void | Promise<void> {
    const state = this.#state(event);
    state.sawPartial = true;
    const delta = event.delta;
    state.rawLength += delta.length;
    if (state.scanner.idle && !delta.includes("<")) {
      // Fast path: plain text outside any block.
      if (delta.length === 0) return;
      state.completion += delta;
      if (state.completion.length === state.rawLength) return this.#next.publish(event);
      return this.#next.publish({ type: "partial", delta, completion: state.completion, meta: event.meta });
    }
    state.scanner.push(delta);
    return this.#forward(this.#drain(state, true));
  }

  #end(event: TextEvent, text: string | undefined): GeppettoEvent[] {
    const state = this.#state(event);
    if (text !== undefined && text.length > state.rawLength) state.scanner.push(text.slice(state.rawLength));
    state.scanner.end();
    this.#streams.delete(event.meta.id);
    const forwarded = this.#drain(state, state.sawPartial);
    if (text !== undefined) {
      forwarded.push({ ...event, text: state.completion, meta: { ...event.meta } } as GeppettoEvent);
    } else {
      forwarded.push(event);
    }
    return forwarded;
  }

  #state(event: TextEvent): StreamState {
    const id = event.meta.id;
    let state = this.#streams.get(id);
    if (!state) {
      const created = {
        completion: "",
        rawLength: 0,
        sawPartial: false,
        blockCount: 0,
        session: undefined,
        block: undefined,
        source: event,
        output: [],
      } as Omit<StreamState, "scanner"> as StreamState;
      created.scanner = new TagScanner(this.#handler(created), {
        maxCaptureBytes: this.#maxCaptureBytes,
        maxTagLength: this.#maxTagLength,
        abandon: this.#policy === "reconstruct-text" ? "release" : "drop",
      });
      state = created;
      this.#streams.set(id, state);
    }
    state.source = event;
    return state;
  }

  /** Turns what processing produced into the events to forward; text becomes `partial`s when `asPartials`. */
  #drain(state: StreamState, asPartials: boolean): GeppettoEvent[] {
    const forwarded: GeppettoEvent[] = [];
    const source = state.source;
    let text = "";
    const flushText = () => {
      if (text === "") return;
      state.completion += text;
      if (asPartials) {
        forwarded.push({ type: "partial", delta: text, completion: state.completion, meta: source.meta });
      }
      text = "";
    };
    for (const item of state.output) {
      if (typeof item === "string") {
        text += item;
      } else {
        flushText();
        forwarded.push(item);
      }
    }
    flushText();
    state.output = [];
    return forwarded;
  }

  #forward(events: GeppettoEvent[]): void | Promise<void> {
    let pending: Promise<void>[] | undefined;
    let failure: { error: unknown } | undefined;
    for (const event of events) {
      try {
        const result = this.#next.publish(event);
        if (result !== undefined && typeof result.then === "function") {
          pending ??= [];
          pending.push(result);
        }
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
    if (pending) return Promise.all(pending).then(() => undefined);
  }

  #handler(state: StreamState): TagScannerHandler {
    return {
      accepts: (tag) => this.#extractors.has(extractorKey(tag)),
      text: (text) => {
        state.output.push(text);
      },
      blockStart: (tag) => {
        state.blockCount++;
        const meta = state.source.meta;
        const itemId = `${meta.id}:${state.blockCount}`;
        state.block = { tag, itemId };
        const extractor = this.#extractors.get(extractorKey(tag))!;
        try {
          state.session = extractor.newSession({ ...meta }, itemId);
        } catch (error) {
          state.session = undefined;
          this.#extractorFailed(state, error);
          return;
        }
        this.#call(state, (session) => session.onStart?.());
      },
      blockRaw: (chunk) => {
        this.#call(state, (session) => session.onRaw?.(chunk));
      },
      blockEnd: (raw) => {
        this.#call(state, (session) => session.onCompleted?.(raw, true));
        state.session = undefined;
        state.block = undefined;
      },
      blockAbandoned: (reason, raw) => this.#abandoned(state, reason, raw),
    };
  }

  #abandoned(state: StreamState, reason: AbandonReason, raw: string): void {
    const block = state.block;
    const message =
      reason === "unclosed"
        ? `structured block <${block ? extractorKey(block.tag) : "?"}> was not closed before the stream ended`
        : `structured block <${block ? extractorKey(block.tag) : "?"}> is larger than maxCaptureBytes (${this.#maxCaptureBytes})`;
    const error = new Error(message);
    this.#call(state, (session) => session.onCompleted?.(raw, false, error));
    if (this.#policy === "error-events") this.#malformed(state, reason, message, raw.length);
    state.session = undefined;
    state.block = undefined;
  }

  /** Calls a session callback; queues its events; drops the session if it throws. */
  #call(state: StreamState, callback: (session: ExtractorSession) => ExtractorEvents): void {
    const session = state.session;
    if (!session) return;
    let events: ExtractorEvents;
    try {
      events = callback(session);
    } catch (error) {
      state.session = undefined;
      this.#extractorFailed(state, error);
      return;
    }
    if (!events) return;
    if (!Array.isArray(events)) {
      state.session = undefined;
      this.#extractorFailed(state, new Error("a session callback returned something other than an array"));
      return;
    }
    for (const event of events) this.#queue(state, event);
  }

  #extractorFailed(state: StreamState, error: unknown): void {
    const message = `extractor failed: ${error instanceof Error ? error.message : String(error)}`;
    this.#malformed(state, "extractor-error", message, 0);
  }

  #malformed(
    state: StreamState,
    reason: StructuredBlockMalformedPayload["reason"],
    message: string,
    capturedLength: number,
  ): void {
    const block = state.block;
    if (!block) return;
    const { tag, itemId } = block;
    const payload = { package: tag.package, type: tag.type, version: tag.version, itemId, reason, message };
    this.#queue(state, StructuredBlockMalformed.create({ ...payload, capturedLength }));
  }

  /** Queues an extractor event, filling its missing metadata from the source event. */
  #queue(state: StreamState, event: GeppettoEvent): void {
    if (!event || typeof event !== "object") return;
    const source: EventMetadata = state.source.meta;
    const meta: EventMetadata = { ...event.meta };
    if (!meta.id) meta.id = source.id;
    if (!meta.seq) meta.seq = source.seq;
    if (meta.sessionId === undefined && source.sessionId !== undefined) meta.sessionId = source.sessionId;
    if (meta.inferenceId === undefined && source.inferenceId !== undefined)
      meta.inferenceId = source.inferenceId;
    if (meta.turnId === undefined && source.turnId !== undefined) meta.turnId = source.turnId;
    if (meta.provider === undefined && source.provider !== undefined) meta.provider = source.provider;
    if (meta.model === undefined && source.model !== undefined) meta.model = source.model;
    state.output.push({ ...event, meta } as GeppettoEvent);
  }
}
