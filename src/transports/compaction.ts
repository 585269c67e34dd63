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
 */
import { encodeEvent } from "../events/codec.ts";
import type { GeppettoEvent, PartialEvent, PartialThinkingEvent } from "../events/types.ts";
import { readEvent } from "./shared.ts";

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

function messageKey(topic: string, event: Streamed): string {
  return `${topic}\u0000${event.type}\u0000${event.meta.inferenceId ?? ""}\u0000${event.meta.id}`;
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

/** What the encoder remembers of a message: its text length, events and text length at the last full event. */
interface MessageRecord {
  length: number;
  count: number;
  checkpoint: number;
}

/** The publisher's side: one line per event, compact when the reader can rebuild the text. */
export class CompactingEncoder {
  readonly #messages = new Map<string, MessageRecord>();
  /** The message of the last streamed event: its next event (the common case) needs no key and no lookup. */
  #last: { topic: string; event: Streamed; record: MessageRecord } | undefined;

  encode(topic: string, event: GeppettoEvent): string {
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
      this.#last = { topic, event, record: previous };
      const { completion: _text, ...rest } = event;
      return `+${completion.length} ${encodeEvent(rest as GeppettoEvent)}`;
    }
    const record = { length: completion.length, count: 0, checkpoint: completion.length };
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
   * Gives `wire.event` its `completion`. `earlier` yields the topic's earlier lines, newest first (read back only
   * when this reader does not have the text). Returns false when the text cannot be rebuilt (trimmed away).
   */
  async complete(topic: string, wire: WireEvent, earlier: () => AsyncIterable<string>): Promise<boolean> {
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
    const rebuilt = await readBack(topic, streamed, key, earlier());
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
  earlier: AsyncIterable<string>,
): Promise<string | undefined> {
  const deltas: string[] = [];
  const seen = new Set<number>([target.meta.seq]);
  for await (const line of earlier) {
    const wire = parseLine(line);
    if (!wire || !isStreamedLike(wire.event) || messageKey(topic, wire.event as Streamed) !== key) continue;
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

/** The lines of a frame that are geppetto events, each with its index; the others are counted. */
export function linesOfFrame(payload: string | undefined): {
  lines: string[];
  events: (WireEvent & { index: number })[];
  skipped: number;
} {
  if (payload === undefined) return { lines: [], events: [], skipped: 1 };
  const lines = payload.split("\n");
  const events: (WireEvent & { index: number })[] = [];
  let skipped = 0;
  for (let index = 0; index < lines.length; index++) {
    const wire = parseLine(lines[index]!);
    if (wire) events.push({ ...wire, index });
    else skipped++;
  }
  return { lines, events, skipped };
}
