/**
 * Test harness for the filtering sink: plays a text as a stream of text events, records what comes out and what
 * the extractors saw. Also a straightforward whole-text reference of the filtering rules.
 */
import { CollectingSink } from "../../events/context.ts";
import type { GeppettoEvent } from "../../events/types.ts";
import type { Extractor } from "../extractor.ts";
import { FilteringSink, type FilteringSinkOptions, type MalformedPolicy } from "../filtering-sink.ts";
import { utf8ByteLength } from "../tag-scanner.ts";

/** What an extractor saw for one block. */
export interface BlockRecord {
  tag: string;
  itemId: string;
  raw: string;
  completed: { raw: string; ok: boolean; error?: string } | undefined;
}

/** An extractor that records every callback and returns no events. */
export function recordingExtractor(
  records: BlockRecord[],
  tag: { package: string; type: string; version: string },
): Extractor {
  return {
    ...tag,
    newSession(_meta, itemId) {
      const record: BlockRecord = {
        tag: `${tag.package}:${tag.type}:${tag.version}`,
        itemId,
        raw: "",
        completed: undefined,
      };
      records.push(record);
      return {
        onRaw(chunk) {
          record.raw += chunk;
        },
        onCompleted(raw, ok, error) {
          record.completed = error ? { raw, ok, error: error.message } : { raw, ok };
        },
      };
    },
  };
}

export const TAG_V1 = { package: "x", type: "y", version: "v1" };
export const TAG_V2 = { package: "x", type: "y", version: "v2" };

/** Text events for one stream: a partial per delta, then the end event with the whole text. */
export function textEvents(
  deltas: readonly string[],
  options: { id?: string; end?: "final" | "interrupt" | "error" } = {},
): GeppettoEvent[] {
  const id = options.id ?? "stream-1";
  const events: GeppettoEvent[] = [{ type: "start", meta: { id, seq: 0 } }];
  let completion = "";
  for (const delta of deltas) {
    completion += delta;
    events.push({ type: "partial", delta, completion, meta: { id, seq: events.length } });
  }
  const meta = { id, seq: events.length };
  const end = options.end ?? "final";
  if (end === "error") events.push({ type: "error", message: "boom", text: completion, meta });
  else events.push({ type: end, text: completion, meta });
  return events;
}

/** What a run through the sink produced. */
export interface RunResult {
  events: GeppettoEvent[];
  /** The end event's text. */
  text: string;
  /** The forwarded partial deltas, joined. */
  deltas: string;
  /** The last forwarded partial's completion ("" when none). */
  lastCompletion: string;
  records: BlockRecord[];
}

/** Plays `deltas` through a FilteringSink with the v1 and v2 recording extractors. */
export function run(
  deltas: readonly string[],
  options: FilteringSinkOptions = {},
  end: "final" | "interrupt" | "error" = "final",
): RunResult {
  const collector = new CollectingSink();
  const records: BlockRecord[] = [];
  const sink = new FilteringSink(
    collector,
    options,
    recordingExtractor(records, TAG_V1),
    recordingExtractor(records, TAG_V2),
  );
  for (const event of textEvents(deltas, { end })) sink.publish(event);
  const partials = collector.ofType("partial");
  const last = collector.events[collector.events.length - 1] as { text?: string } | undefined;
  return {
    events: collector.events,
    text: last?.text ?? "",
    deltas: partials.map((event) => event.delta).join(""),
    lastCompletion: partials[partials.length - 1]?.completion ?? "",
    records,
  };
}

const OPEN_TAG = /<([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)>/y;

/** The filtering rules applied to a whole text at once, written as plainly as possible. */
export function reference(
  text: string,
  options: { malformed?: MalformedPolicy; maxCaptureBytes?: number; maxTagLength?: number } = {},
): { text: string; blocks: { tag: string; raw: string; ok: boolean }[] } {
  const accepted = new Set(["x:y:v1", "x:y:v2"]);
  const release = options.malformed === "reconstruct-text";
  const maxBytes = options.maxCaptureBytes ?? 1 << 20;
  const maxTagLength = options.maxTagLength ?? 256;
  const blocks: { tag: string; raw: string; ok: boolean }[] = [];
  let out = "";
  let position = 0;
  while (position < text.length) {
    const open = text.indexOf("<", position);
    if (open < 0) {
      out += text.slice(position);
      break;
    }
    out += text.slice(position, open);
    OPEN_TAG.lastIndex = open;
    const match = OPEN_TAG.exec(text);
    if (!match || match[0].length > maxTagLength) {
      out += "<";
      position = open + 1;
      continue;
    }
    const tag = `${match[1]}:${match[2]}:${match[3]}`;
    const payloadStart = open + match[0].length;
    if (!accepted.has(tag)) {
      out += match[0];
      position = payloadStart;
      continue;
    }
    const closeTag = `</${tag}>`;
    const close = text.indexOf(closeTag, payloadStart);
    const payload = text.slice(payloadStart, close < 0 ? text.length : close);
    if (utf8ByteLength(payload) > maxBytes) {
      let cut = 0;
      while (utf8ByteLength(payload.slice(0, cut + 1)) <= maxBytes) cut++;
      blocks.push({ tag, raw: payload.slice(0, cut), ok: false });
      if (release) {
        out += match[0] + payload.slice(0, cut);
        position = payloadStart + cut;
      } else {
        position = close < 0 ? text.length : close + closeTag.length;
      }
      continue;
    }
    if (close < 0) {
      blocks.push({ tag, raw: payload, ok: false });
      if (release) out += match[0] + payload;
      position = text.length;
      continue;
    }
    blocks.push({ tag, raw: payload, ok: true });
    position = close + closeTag.length;
  }
  return { text: out, blocks };
}
