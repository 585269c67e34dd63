/**
 * Cumulative text on the wire. A `partial` / `partial-thinking` event carries `completion`, all the text so far:
 * in one process that is a shared string, on the wire it would make each event cost as much as the whole answer
 * so far. So a publisher writes the full event only every {@link CHECKPOINT_EVERY} events of a message, and only
 * once the text has grown by a quarter since the last full event; in between, a line `+<completion length> <event
 * JSON without completion>`. The full events then cost at most about four times the deltas, so work per event is
 * proportional to its delta, not to the answer so far (a fixed interval alone would write a 10,000-token answer's
 * text 150 times). A reader rebuilds `completion` from the previous event (it has read it, in order); one that has
 * not (it starts mid-answer: resumed, replaying from an offset, "now") reads back to the last full event of that
 * message: at least {@link CHECKPOINT_EVERY} events, and at most the deltas of the last quarter of its text.
 *
 * Events written together in one frame (one stream entry or message) go further: an event of the same message as
 * an earlier line of the frame, with the same metadata but for `seq` and `durationMs`, is written
 * `=<line> <seq after that line's> <durationMs, or "." for that line's> <delta JSON>`, so a streamed token costs
 * its delta and two short numbers on the wire, not its metadata's ids again. The common case, the next event of the
 * message on the line before with the same `durationMs` (the events of one network read), is just `<delta JSON>`
 * (a line starting with `"`): `=<line before> 1 . <delta JSON>` without the numbers. Such a line is read with the frame it is in (`linesOfFrame`).
 */
import { decodeEvent, encodeEvent } from "../events/codec.ts";

/**
 * The version of the frame format, the frame's first line `@<version>` (a reader strips it; the lines after it
 * are the events, indexed from 0). Version 2 is the format above; a frame without the line is version 1, the
 * frames written before it (the same lines: read as version 2). A reader skips, counts and reports a frame of a
 * version it does not know ({@link FrameRead.unknownVersion}) rather than misread it; a reader older than the
 * line skips the line alone as a message that is not an event, and reads the events.
 */
export const FRAME_VERSION = 2;
/** The first line of every frame written. */
export const FRAME_HEADER = `@${FRAME_VERSION}`;

import type { EventMetadata, GeppettoEvent, PartialEvent, PartialThinkingEvent } from "../events/types.ts";

/** A full event at most every this many events of one message. */
export const CHECKPOINT_EVERY = 64;
const MAX_MESSAGES = 4096;

type Streamed = PartialEvent | PartialThinkingEvent;

function isStreamed(event: GeppettoEvent): event is Streamed {
  return (
    (event.type === "partial" || event.type === "partial-thinking") &&
    typeof event.delta === "string" &&
    typeof event.completion === "string"
  );
}

/** The last key made: encoding one event asks for its key up to four times (one string, hashed once; reset per event). */
let lastKey: { topic: string; event: Streamed; key: string } | undefined;

function messageKey(topic: string, event: Streamed): string {
  if (lastKey !== undefined && lastKey.event === event && lastKey.topic === topic) return lastKey.key;
  const key = `${topic}\u0000${event.type}\u0000${event.meta.inferenceId ?? ""}\u0000${event.meta.id}`;
  lastKey = { topic, event, key };
  return key;
}

function sameMessage(topic: string, event: Streamed, otherTopic: string, other: Streamed): boolean {
  return (
    topic === otherTopic &&
    event.type === other.type &&
    event.meta.id === other.meta.id &&
    event.meta.inferenceId === other.meta.inferenceId
  );
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_MESSAGES) map.delete(map.keys().next().value as string);
}

/**
 * The lines of one frame being written, and the last line of each message in it (what a `=` line refers to).
 *
 * @example
 * const frame = new FrameLines();
 * encoder.encodeInto(frame, "chat", event);
 * const payload = frame.lines.join("\n");
 */
export class FrameLines {
  readonly lines: string[] = [];
  /** Characters of the lines, newlines included. */
  bytes = 0;
  /** The last streamed line: the next event (the common case) needs no key and no lookup. */
  #previous: FrameReference | undefined;
  #byMessage: Map<string, FrameReference> | undefined;

  /** The line of this frame that holds the previous event of `event`'s message, if any. */
  reference(topic: string, event: Streamed): FrameReference | undefined {
    const previous = this.#previous;
    if (previous !== undefined && sameMessage(previous.topic, previous.event, topic, event)) return previous;
    return this.#byMessage?.get(messageKey(topic, event));
  }

  /** Appends a line; `event` when it is a streamed event (a later line may refer to it). */
  add(line: string, topic: string, event: Streamed | undefined): void {
    const index = this.lines.length;
    this.lines.push(line);
    this.bytes += line.length + 1;
    if (event === undefined) return;
    const previous = this.#previous;
    if (previous !== undefined && sameMessage(previous.topic, previous.event, topic, event)) {
      // A `=` line has its reference's metadata keys: the count stays known.
      if (!isShortLine(line)) previous.metaKeys = -1;
      previous.event = event;
      previous.index = index;
      return;
    }
    if (previous !== undefined) {
      this.#byMessage ??= new Map();
      this.#byMessage.set(previous.key, previous);
    }
    const key = messageKey(topic, event);
    const known = this.#byMessage?.get(key);
    if (known !== undefined && isShortLine(line)) {
      known.event = event;
      known.index = index;
      this.#previous = known;
    } else this.#previous = { topic, event, index, metaKeys: -1, key };
  }
}

/** True for a `=` line or a `"` line (a delta alone): one that refers to an earlier line of its frame. */
function isShortLine(line: string): boolean {
  const first = line.charCodeAt(0);
  return first === 61 /* = */ || first === 34 /* " */;
}

/** An earlier event whose metadata a later event of its message may share but for `seq` and `durationMs`. */
export interface MetaReference {
  event: Streamed;
  /** How many keys its event's metadata has (-1: not counted yet; 0: keys geppetto does not define). */
  metaKeys: number;
}

/** A line of a frame that a later `=` line may refer to. */
export interface FrameReference extends MetaReference {
  readonly topic: string;
  index: number;
  /** Its message's key (the same for every event of the message). */
  readonly key: string;
}

/** A message's metadata as JSON but for `seq` and `durationMs`: `{"id":…,` (ready for `"seq":…}`). */
interface MetaTemplate extends MetaReference {
  readonly fixed: string;
}

function templateOf(event: Streamed): MetaTemplate {
  const { seq: _seq, durationMs: _durationMs, ...fixed } = event.meta;
  const json = JSON.stringify(fixed);
  return { event, metaKeys: -1, fixed: json.length > 2 ? `${json.slice(0, -1)},` : "{" };
}

/**
 * The JSON of `event` without `completion` (what `encodeEvent` writes, keys in another order) from its
 * message's template, when only `seq` and `durationMs` differ from the template's event: no metadata is
 * serialized again. `undefined` when the template does not apply.
 */
function fromTemplate(template: MetaTemplate | undefined, event: Streamed): string | undefined {
  if (template === undefined || !onlyTimeDiffers(template, event)) return undefined;
  const { seq, durationMs } = event.meta;
  if (!Number.isFinite(seq) || (durationMs !== undefined && !Number.isFinite(durationMs))) return undefined;
  const time = durationMs === undefined ? "" : `,"durationMs":${durationMs}`;
  return `{"type":"${event.type}","delta":${JSON.stringify(event.delta)},"meta":${template.fixed}"seq":${seq}${time}}}`;
}

/** How many of the metadata fields geppetto defines `meta` has (set, not undefined). */
function knownFields(meta: EventMetadata): number {
  return (
    (meta.id !== undefined ? 1 : 0) +
    (meta.seq !== undefined ? 1 : 0) +
    (meta.sessionId !== undefined ? 1 : 0) +
    (meta.inferenceId !== undefined ? 1 : 0) +
    (meta.turnId !== undefined ? 1 : 0) +
    (meta.blockId !== undefined ? 1 : 0) +
    (meta.model !== undefined ? 1 : 0) +
    (meta.provider !== undefined ? 1 : 0) +
    (meta.durationMs !== undefined ? 1 : 0) +
    (meta.usage !== undefined ? 1 : 0) +
    (meta.extra !== undefined ? 1 : 0)
  );
}

/**
 * True when `event` is its reference's event again but for `seq`, `durationMs`, `delta` and `completion`: the
 * same fields (compared one by one, objects by identity, as the metadata of one stream's pieces share them) and
 * no other key on either.
 */
function onlyTimeDiffers(reference: MetaReference, event: Streamed): boolean {
  let keys = 0;
  for (const key in event) {
    keys++;
    if (key !== "type" && key !== "delta" && key !== "completion" && key !== "meta") return false;
  }
  if (keys !== 4) return false;
  const meta = event.meta;
  const before = reference.event.meta;
  if (
    meta.id !== before.id ||
    meta.turnId !== before.turnId ||
    meta.blockId !== before.blockId ||
    meta.inferenceId !== before.inferenceId ||
    meta.sessionId !== before.sessionId ||
    meta.model !== before.model ||
    meta.provider !== before.provider ||
    meta.usage !== before.usage ||
    meta.extra !== before.extra
  )
    return false;
  if (typeof meta.seq !== "number" || typeof before.seq !== "number") return false;
  if (meta.durationMs !== undefined && typeof meta.durationMs !== "number") return false;
  if ((meta.durationMs === undefined) !== (before.durationMs === undefined)) return false;
  if (reference.metaKeys < 0) {
    // The reference has only geppetto's fields (then so does `event`, checked below), or no `=` line refers to it.
    reference.metaKeys = Object.keys(before).length === knownFields(before) ? knownFields(before) : 0;
  }
  if (reference.metaKeys <= 0) return false;
  let metaKeys = 0;
  for (const _key in meta) metaKeys++; // counted without the array Object.keys would allocate per event
  return metaKeys === reference.metaKeys;
}

/** What the encoder remembers of a message: its text length, events and text length at the last full event. */
interface MessageRecord {
  length: number;
  count: number;
  checkpoint: number;
  /** The metadata of its last event written in full, as JSON (its events in other frames reuse it). */
  template: MetaTemplate | undefined;
}

/** The publisher's side: one line per event, compact when the reader can rebuild the text. */
export class CompactingEncoder {
  readonly #messages = new Map<string, MessageRecord>();
  /** The message of the last streamed event: its next event (the common case) needs no key and no lookup. */
  #last: { readonly topic: string; event: Streamed; readonly record: MessageRecord } | undefined;

  /** The line of one event written alone (no frame to refer to). */
  encode(topic: string, event: GeppettoEvent): string {
    lastKey = undefined;
    return this.#line(topic, event, undefined);
  }

  /** Encodes `event` as the next line of `frame` (a `=` line when an earlier line of the frame allows it). */
  encodeInto(frame: FrameLines, topic: string, event: GeppettoEvent): void {
    lastKey = undefined; // valid within one call: a publisher may reuse an event object
    frame.add(this.#line(topic, event, frame), topic, isStreamed(event) ? event : undefined);
  }

  #line(topic: string, event: GeppettoEvent, frame: FrameLines | undefined): string {
    if (!isStreamed(event)) return encodeEvent(event);
    const last = this.#last;
    let previous: MessageRecord | undefined;
    if (last !== undefined && sameMessage(last.topic, last.event, topic, event)) previous = last.record;
    else previous = this.#messages.get(messageKey(topic, event));
    const { delta, completion } = event;
    if (
      previous &&
      (previous.count < CHECKPOINT_EVERY - 1 ||
        (completion.length - previous.checkpoint) * 4 < completion.length) &&
      // Lengths only: reading the text of `completion` (endsWith, a compare) would flatten the whole answer per event.
      completion.length === previous.length + delta.length
    ) {
      previous.length = completion.length;
      previous.count++;
      if (last !== undefined && last.record === previous) last.event = event;
      else this.#last = { topic, event, record: previous };
      const reference = frame?.reference(topic, event);
      if (reference !== undefined && onlyTimeDiffers(reference, event)) {
        // The events of one network read share one clock reading: "." is the reference's duration again.
        const duration = event.meta.durationMs;
        const seq = event.meta.seq - reference.event.meta.seq;
        if (duration === reference.event.meta.durationMs) {
          if (seq === 1 && frame !== undefined && reference.index === frame.lines.length - 1)
            return JSON.stringify(delta);
          return `=${reference.index} ${seq} . ${JSON.stringify(delta)}`;
        }
        return `=${reference.index} ${seq} ${duration} ${JSON.stringify(delta)}`;
      }
      // The first event of the message in this frame: in full but for its text, its metadata from the template.
      let json = fromTemplate(previous.template, event);
      if (json === undefined) {
        const { completion: _text, ...rest } = event;
        json = encodeEvent(rest as GeppettoEvent);
        previous.template = templateOf(event);
      }
      return `+${completion.length} ${json}`;
    }
    const record = {
      length: completion.length,
      count: 0,
      checkpoint: completion.length,
      template: templateOf(event),
    };
    remember(this.#messages, messageKey(topic, event), record);
    this.#last = { topic, event, record };
    return encodeEvent(event);
  }
}

/** One line read back: the event, and for a compact line the length its `completion` must have. */
export interface WireEvent {
  event: GeppettoEvent;
  completionLength?: number;
}

/** Reads one line; `undefined` for a line that is not a geppetto event. */
export function parseLine(line: string): WireEvent | undefined {
  if (!line.startsWith("+")) {
    const event = readEvent(line);
    return event ? { event } : undefined;
  }
  const space = line.indexOf(" ");
  const completionLength = Number(line.slice(1, space));
  const event = space > 0 ? readEvent(line.slice(space + 1)) : undefined;
  if (
    !event ||
    !Number.isInteger(completionLength) ||
    (event.type !== "partial" && event.type !== "partial-thinking")
  )
    return undefined;
  if (typeof event.delta !== "string") return undefined;
  return { event, completionLength };
}

/** The reader's side: the text of each message so far, to rebuild compact events. */
export class CompletionTracker {
  readonly #messages = new Map<string, string>();

  /**
   * Gives `wire.event` its `completion`. `earlier` yields the topic's earlier events as read from their frames,
   * newest first (read back only when this reader does not have the text). Returns false when the text cannot be
   * rebuilt (trimmed away). Synchronous unless it reads back (the common case costs no promise).
   */
  complete(
    topic: string,
    wire: WireEvent,
    earlier: () => AsyncIterable<WireEvent>,
  ): boolean | Promise<boolean> {
    const event = wire.event;
    if (!isStreamed(event) && wire.completionLength === undefined) return true;
    const streamed = event as Streamed;
    const key = messageKey(topic, streamed);
    if (wire.completionLength === undefined) {
      remember(this.#messages, key, streamed.completion);
      return true;
    }
    const length = wire.completionLength;
    const previous = this.#messages.get(key);
    if (previous !== undefined && previous.length + streamed.delta.length === length) {
      streamed.completion = previous + streamed.delta;
      remember(this.#messages, key, streamed.completion);
      return true;
    }
    if (previous !== undefined && previous.length >= length) {
      streamed.completion = previous.slice(0, length); // delivered again: an earlier event of the same message
      return true;
    }
    return this.#readBack(topic, streamed, key, length, earlier());
  }

  async #readBack(
    topic: string,
    streamed: Streamed,
    key: string,
    length: number,
    earlier: AsyncIterable<WireEvent>,
  ): Promise<boolean> {
    const rebuilt = await readBack(topic, streamed, key, earlier);
    if (rebuilt === undefined || rebuilt.length !== length) {
      streamed.completion = streamed.delta;
      return false;
    }
    streamed.completion = rebuilt;
    remember(this.#messages, key, rebuilt);
    return true;
  }
}

async function readBack(
  topic: string,
  target: Streamed,
  key: string,
  earlier: AsyncIterable<WireEvent>,
): Promise<string | undefined> {
  const deltas: string[] = [];
  const seen = new Set<number>([target.meta.seq]);
  for await (const wire of earlier) {
    if (!isStreamedLike(wire.event) || messageKey(topic, wire.event as Streamed) !== key) continue;
    if (seen.has(wire.event.meta.seq)) continue; // a retried publish wrote it twice
    seen.add(wire.event.meta.seq);
    const streamed = wire.event as Streamed;
    if (wire.completionLength !== undefined) {
      deltas.push(streamed.delta);
      continue;
    }
    let text = streamed.completion;
    for (let index = deltas.length - 1; index >= 0; index--) text += deltas[index];
    return text + target.delta;
  }
  return undefined;
}

function isStreamedLike(event: GeppettoEvent): boolean {
  return event.type === "partial" || event.type === "partial-thinking";
}

/**
 * Reads a `=` or `"` line (at `index`) against the earlier events of its frame (`byIndex`, by line); `undefined` when it refers to no
 * streamed event of the frame or is malformed.
 */
function sameAsEarlier(
  line: string,
  byIndex: (WireEvent | undefined)[],
  index: number,
): WireEvent | undefined {
  if (line.charCodeAt(0) === 34) return nextOf(byIndex[index - 1], line, 1, ".");
  const first = line.indexOf(" ");
  const second = line.indexOf(" ", first + 1);
  const third = line.indexOf(" ", second + 1);
  if (first < 0 || second < 0 || third < 0) return undefined;
  return nextOf(
    byIndex[Number(line.slice(1, first))],
    line.slice(third + 1),
    Number(line.slice(first + 1, second)),
    line.slice(second + 1, third),
  );
}

/** The event `seq` after `earlier` with delta `deltaJson` and duration `duration` ("." for the same). */
function nextOf(
  earlier: WireEvent | undefined,
  deltaJson: string,
  seq: number,
  duration: string,
): WireEvent | undefined {
  if (earlier === undefined || !isStreamedLike(earlier.event)) return undefined;
  let delta: unknown;
  try {
    delta = JSON.parse(deltaJson);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(seq) || typeof delta !== "string") return undefined;
  const previous = earlier.event as Streamed;
  const meta = { ...previous.meta, seq: previous.meta.seq + seq };
  if (duration !== ".") meta.durationMs = Number(duration);
  const completionLength = (earlier.completionLength ?? previous.completion.length) + delta.length;
  return { event: { type: previous.type, delta, meta } as Streamed, completionLength };
}

/** One event of a frame: the event, its compact form's text length, and its line in the frame. */
export type FrameEvent = WireEvent & { index: number };

/** What a reader gets of one frame. */
export interface FrameRead {
  events: FrameEvent[];
  /** Lines that are no geppetto event (every line of a frame of a version this reader does not know). */
  skipped: number;
  /** The frame's version when this reader does not know it (its lines are skipped). */
  unknownVersion?: string;
}

/** The lines of a frame that are geppetto events, each with its index; the others are counted. */
export function linesOfFrame(payload: string | undefined): FrameRead {
  if (payload === undefined) return { events: [], skipped: 1 };
  if (payload.charCodeAt(0) === 64 /* @ */) {
    const newline = payload.indexOf("\n");
    const version = payload.slice(1, newline < 0 ? undefined : newline);
    const body = newline < 0 ? "" : payload.slice(newline + 1);
    if (version !== String(FRAME_VERSION))
      return { events: [], skipped: body === "" ? 1 : body.split("\n").length, unknownVersion: version };
    if (body === "") return { events: [], skipped: 0 };
    payload = body;
  }
  const lines = payload.split("\n");
  const events: FrameEvent[] = [];
  const byIndex: (WireEvent | undefined)[] = new Array(lines.length);
  let skipped = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const wire = isShortLine(line) ? sameAsEarlier(line, byIndex, index) : parseLine(line);
    if (wire) {
      byIndex[index] = wire;
      const event = wire as FrameEvent;
      event.index = index;
      events.push(event);
    } else skipped++;
  }
  return { events, skipped };
}

/**
 * The events of frames read newest first, each frame's newest first: what `CompletionTracker.complete` reads back.
 * `before` are the events of the current frame before the one being completed.
 *
 * @example
 * tracker.complete(topic, wire, () => newestFirst(events.slice(0, position), olderPayloads()));
 */
export async function* newestFirst(
  before: readonly WireEvent[],
  olderPayloads: AsyncIterable<string | undefined>,
): AsyncIterable<WireEvent> {
  for (let index = before.length - 1; index >= 0; index--) yield before[index]!;
  for await (const payload of olderPayloads) {
    const { events } = linesOfFrame(payload);
    for (let index = events.length - 1; index >= 0; index--) yield events[index]!;
  }
}

/** Reads one message as an event; `undefined` for a message that is no geppetto event (to skip and count). */
export function readEvent(payload: string | undefined): GeppettoEvent | undefined {
  if (payload === undefined) return undefined;
  const event = decodeEvent(payload);
  if (event.type === "unknown" && event.originalType === "") return undefined;
  return event;
}
