/**
 * Cumulative text on the wire. A `partial` / `partial-thinking` event carries `completion`, all the text so far:
 * in one process that is a shared string, on the wire it would make each event cost as much as the whole answer
 * so far. So a publisher writes the full event only every {@link CHECKPOINT_EVERY} events of a message, and only
 * once the text has doubled since the last full event (its new half written since); in between, a line
 * `+<completion length> <event JSON without completion>`. The full events then cost about twice the deltas, so
 * work per event is proportional to its delta, not to the answer so far (a fixed interval alone would write a
 * 10,000-token answer's text 150 times; spaced by a quarter of it, as first written, about four times, which was
 * the publisher's largest cost per token after the deltas). A reader rebuilds `completion` from the previous
 * event (it has read it, in order); one that has not (it starts mid-answer: resumed, replaying from an offset,
 * "now") reads back to the last full event of that message: at least {@link CHECKPOINT_EVERY} events, and at
 * most the deltas of the last half of its text.
 *
 * Events written together in one frame (one stream entry or message) go further: an event of the same message as
 * an earlier line of the frame, with the same metadata but for `seq` and `durationMs`, is written
 * `=<line> <seq after that line's> <durationMs, or "." for that line's> <delta JSON>`, so a streamed token costs
 * its delta and two short numbers on the wire, not its metadata's ids again. The common case, the next event of the
 * message on the line before with the same `durationMs` (the events of one network read), is just `<delta JSON>`
 * (a line starting with `"`): `=<line before> 1 . <delta JSON>` without the numbers. Such a line is read with the
 * frame it is in (`linesOfFrame`).
 *
 * This file holds the format's version and what both sides share; the publisher's side is compaction-encoder.ts,
 * the reader's compaction-reader.ts.
 */
import type { GeppettoEvent, PartialEvent, PartialThinkingEvent } from "../events/types.ts";

/**
 * The version of the frame format, the frame's first line `@<version>` (a reader strips it; the lines after it
 * are the events, indexed from 0). Version 2 is the format above; a frame without the line is version 1, the
 * frames written before it (the same lines: read as version 2). A reader skips, counts and reports a frame of a
 * version it does not know (`FrameRead.unknownVersion`) rather than misread it; a reader older than the
 * line skips the line alone as a message that is not an event, and reads the events.
 */
export const FRAME_VERSION = 2;
/** The first line of every frame written. */
export const FRAME_HEADER = `@${FRAME_VERSION}`;

/** A full event at most every this many events of one message. */
export const CHECKPOINT_EVERY = 64;
/** How many messages each side remembers (the oldest is forgotten first). */
const MAX_MESSAGES = 4096;

/** A streamed text event: its `completion` is what the format leaves out. */
export type Streamed = PartialEvent | PartialThinkingEvent;

/** True for a `partial` / `partial-thinking` event with its text (`delta`, `completion`). */
export function isStreamed(event: GeppettoEvent): event is Streamed {
  return (
    (event.type === "partial" || event.type === "partial-thinking") &&
    typeof event.delta === "string" &&
    typeof event.completion === "string"
  );
}

/** The last key made: encoding one event asks for its key up to four times (one string, hashed once; reset per event). */
let lastKey: { topic: string; event: Streamed; key: string } | undefined;

/** Forgets the last key made: valid within one encoding call, as a publisher may reuse an event object. */
export function forgetLastKey(): void {
  lastKey = undefined;
}

/** The key of `event`'s message on `topic` (the same for every event of the message). */
export function messageKey(topic: string, event: Streamed): string {
  if (lastKey !== undefined && lastKey.event === event && lastKey.topic === topic) return lastKey.key;
  const key = `${topic}\u0000${event.type}\u0000${event.meta.inferenceId ?? ""}\u0000${event.meta.id}`;
  lastKey = { topic, event, key };
  return key;
}

/** True when both events are of one message (what {@link messageKey} tells, without making the keys). */
export function sameMessage(topic: string, event: Streamed, otherTopic: string, other: Streamed): boolean {
  return (
    topic === otherTopic &&
    event.type === other.type &&
    event.meta.id === other.meta.id &&
    event.meta.inferenceId === other.meta.inferenceId
  );
}

/** Sets `key` as the newest entry of `map`, forgetting the oldest beyond the messages remembered. */
export function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_MESSAGES) map.delete(map.keys().next().value as string);
}

/** True for a `=` line or a `"` line (a delta alone): one that refers to an earlier line of its frame. */
export function isShortLine(line: string): boolean {
  const first = line.charCodeAt(0);
  return first === 61 /* = */ || first === 34 /* " */;
}
