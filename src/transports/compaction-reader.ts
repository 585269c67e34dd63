/**
 * The reader's side of the frame format (compaction.ts): the events of a frame, and each message's text rebuilt
 * from the events before it (read back from earlier frames when this reader has not seen them).
 */
import { decodeEvent } from "../events/codec.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { FRAME_VERSION, isShortLine, isStreamed, messageKey, remember, type Streamed } from "./compaction.ts";

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
