/**
 * The publisher's side of the frame format (compaction.ts): each event as one line, compact when the reader can
 * rebuild its text, and `=` / `"` lines for events that share an earlier line's metadata in the same frame.
 */
import { encodeEvent } from "../events/codec.ts";
import type { EventMetadata, GeppettoEvent } from "../events/types.ts";
import {
  CHECKPOINT_EVERY,
  forgetLastKey,
  isShortLine,
  isStreamed,
  messageKey,
  remember,
  type Streamed,
  sameMessage,
} from "./compaction.ts";

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
  return `{"type":"${event.type}","delta":${quote(event.delta)},"meta":${template.fixed}"seq":${seq}${time}}}`;
}

/**
 * `JSON.stringify(text)` for a string: a streamed delta is a few characters that need no escape, and checking
 * them costs about half of entering the JSON serializer, which is most of encoding a token's line. A character that
 * JSON escapes (a quote, a backslash, a control character) or may escape (a surrogate, paired or lone) goes
 * through `JSON.stringify`.
 *
 * @example
 * quote(" wörd") === JSON.stringify(" wörd"); // '" wörd"'
 */
export function quote(text: string): string {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 32 || code === 34 || code === 92 || (code >= 0xd800 && code <= 0xdfff))
      return JSON.stringify(text);
  }
  return `"${text}"`;
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
    forgetLastKey();
    return this.#line(topic, event, undefined);
  }

  /** Encodes `event` as the next line of `frame` (a `=` line when an earlier line of the frame allows it). */
  encodeInto(frame: FrameLines, topic: string, event: GeppettoEvent): void {
    forgetLastKey();
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
        (completion.length - previous.checkpoint) * 2 < completion.length) &&
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
            return quote(delta);
          return `=${reference.index} ${seq} . ${quote(delta)}`;
        }
        return `=${reference.index} ${seq} ${duration} ${quote(delta)}`;
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
