import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectingSink } from "../events/context.ts";
import {
  type BlockRecord,
  recordingExtractor,
  reference,
  run,
  TAG_V1,
  TAG_V2,
  textEvents,
} from "./__fixtures__/harness.ts";
import { FilteringSink, type MalformedPolicy } from "./filtering-sink.ts";

/** Fragments that exercise the tag grammar: real tags, near-misses, stray brackets, multi-byte text. */
const fragment = fc.oneof(
  fc.constantFrom(
    "<x:y:v1>",
    "</x:y:v1>",
    "<x:y:v2>",
    "</x:y:v2>",
    "<p:q:r>",
    "</p:q:r>",
    "<x:y:v1",
    "x:y:v1>",
    "</x:y:",
    "<x:y:",
    "<",
    ">",
    ":",
    "</",
    "<<",
    "\n",
    "é",
    "😀",
    "```yaml\n",
    "title: A\n",
  ),
  fc.string({ maxLength: 6 }),
);
const streamText = fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(""));

/** Splits `text` at the given cut points (any positions, duplicates allowed: empty deltas too). */
function split(text: string, cuts: number[]): string[] {
  const positions = cuts
    .map((cut) => (text.length === 0 ? 0 : cut % (text.length + 1)))
    .sort((a, b) => a - b);
  const pieces: string[] = [];
  let start = 0;
  for (const position of positions) {
    pieces.push(text.slice(start, position));
    start = position;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** Any character, biased toward the tag grammar (lone surrogates included). */
const anyCharacter = fc.oneof(
  fc.constantFrom("<", ">", ":", "/", "x", "y", "v", "1", "\n", "é", "😀", "\ud800"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);

const policy = fc.constantFrom<MalformedPolicy>("error-events", "reconstruct-text", "ignore");
const cap = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 24 }));

function summary(result: ReturnType<typeof run>) {
  return {
    text: result.text,
    blocks: result.records.map((record) => ({
      tag: record.tag,
      raw: record.completed?.raw,
      ok: record.completed?.ok,
    })),
    streamedRaw: result.records.map((record) => record.raw),
  };
}

describe("FilteringSink properties", () => {
  it("for any split into deltas, forwards the same text and extracts the same payloads", () => {
    fc.assert(
      fc.property(
        streamText,
        fc.array(fc.nat(), { maxLength: 12 }),
        policy,
        cap,
        (text, cuts, malformed, maxCaptureBytes) => {
          const options = maxCaptureBytes === undefined ? { malformed } : { malformed, maxCaptureBytes };
          const whole = run([text], options);
          const pieces = run(split(text, cuts), options);
          expect(summary(pieces)).toEqual(summary(whole));
          expect(pieces.deltas).toBe(pieces.text);
          expect(pieces.lastCompletion).toBe(pieces.text);
        },
      ),
      { numRuns: 600 },
    );
  });

  it("matches a plain whole-text reference of the rules", () => {
    fc.assert(
      fc.property(
        streamText,
        fc.array(fc.nat(), { maxLength: 12 }),
        policy,
        cap,
        fc.oneof(fc.constant(256), fc.integer({ min: 7, max: 10 })),
        (text, cuts, malformed, maxCaptureBytes, maxTagLength) => {
          const options =
            maxCaptureBytes === undefined
              ? { malformed, maxTagLength }
              : { malformed, maxCaptureBytes, maxTagLength };
          const result = run(split(text, cuts), options);
          const expected = reference(text, options);
          expect(result.text).toBe(expected.text);
          expect(result.records.map((record) => ({ tag: record.tag, ...record.completed }))).toEqual(
            expected.blocks.map((block) =>
              block.ok ? block : { ...block, error: expect.any(String) as unknown as string },
            ),
          );
        },
      ),
      { numRuns: 600 },
    );
  });

  it("one character at a time gives the same result as one delta", () => {
    fc.assert(
      fc.property(streamText, policy, (text, malformed) => {
        expect(summary(run([...text], { malformed }))).toEqual(summary(run([text], { malformed })));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps interleaved streams apart, however their events interleave", () => {
    fc.assert(
      fc.property(
        streamText,
        streamText,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        (first, second, cuts, order) => {
          const records: BlockRecord[] = [];
          const collector = new CollectingSink();
          const sink = new FilteringSink(
            collector,
            {},
            recordingExtractor(records, TAG_V1),
            recordingExtractor(records, TAG_V2),
          );
          const queues = [
            textEvents(split(first, cuts), { id: "one" }),
            textEvents(split(second, cuts), { id: "two" }),
          ];
          let step = 0;
          while (queues[0]!.length > 0 || queues[1]!.length > 0) {
            const pick = queues[0]!.length === 0 ? 1 : queues[1]!.length === 0 ? 0 : order[step++] ? 1 : 0;
            sink.publish(queues[pick]!.shift()!);
          }
          const finals = Object.fromEntries(
            collector.ofType("final").map((event) => [event.meta.id, event.text]),
          );
          expect(finals).toEqual({ one: run([first]).text, two: run([second]).text });
          const raws = (id: string) =>
            records.filter((record) => record.itemId.startsWith(`${id}:`)).map((record) => record.completed);
          const alone = (text: string) => run([text]).records.map((record) => record.completed);
          expect(raws("one")).toEqual(alone(first));
          expect(raws("two")).toEqual(alone(second));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never throws, whatever the text, the split or the stream's end", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: anyCharacter, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.constantFrom<"final" | "interrupt" | "error">("final", "interrupt", "error"),
        policy,
        (text, cuts, end, malformed) => {
          const sink = new FilteringSink(
            new CollectingSink(),
            { malformed, maxCaptureBytes: 8 },
            { ...TAG_V1, newSession: () => ({}) },
          );
          for (const event of textEvents(split(text, cuts), { end })) sink.publish(event);
          expect(sink.openStreams).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
