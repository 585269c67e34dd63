/**
 * Throughput of the FilteringSink on a long streamed answer with many tagged blocks, as a ratio to a
 * pass-through sink (a sink that forwards every event unchanged). Median of 5 runs after a warm-up.
 *
 *   npm run build && npx node bench/structured-sink.ts [--megabytes 4] [--runs 5]
 *
 * Three sinks see the same pre-built events (a `partial` per 3–6 character delta, then `final`):
 * - pass-through: forwards each event;
 * - filtering: FilteringSink with an extractor that only counts payload characters (the sink's own cost);
 * - filtering + YAML: FilteringSink with a citations extractor using `debouncedYaml` (a realistic extractor).
 * It also runs the filtering sink on half the text: equal per-MB times show the per-event cost is O(delta).
 * Last, the debounced YAML parser alone on growing payloads fed 4 characters at a time: attempts, characters
 * re-parsed per payload character, and time per KB stay flat (near-linear total cost).
 */
import { performance } from "node:perf_hooks";
import type { EventSink } from "../src/events/context.ts";
import type { GeppettoEvent } from "../src/events/types.ts";
import type { Extractor } from "../src/structured/index.ts";

// The compiled module (run `npm run build` first): Node strips types but not every construct the sources use.
const structuredPath = "../dist/structured/index.js";
const { debouncedYaml, FilteringSink } = (await import(
  structuredPath
)) as typeof import("../src/structured/index.ts");

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const megabytes = flag("megabytes", 4);
const runs = flag("runs", 5);

/** A long answer: prose with a citations block every ~2 KB, and some text that only looks like tags. */
function buildText(targetLength: number): string {
  const prose =
    "Attention mechanisms let a model weigh every token against every other token; a < b and x > y stay " +
    "text, as do <html> tags and <a:b> near-misses. ";
  const block =
    "<geppetto:citations:v1>\n```yaml\ncitations:\n" +
    "  - title: Attention Is All You Need\n    authors: [Vaswani, Shazeer]\n" +
    "  - title: GPT-4 Technical Report\n    authors: [OpenAI]\n```\n</geppetto:citations:v1>\n";
  const parts: string[] = [];
  let length = 0;
  let index = 0;
  while (length < targetLength) {
    const piece = index % 12 === 11 ? block : prose;
    parts.push(piece);
    length += piece.length;
    index++;
  }
  return parts.join("");
}

/** Splits like a tokenizer would: deltas of 3 to 6 characters (deterministic). */
function textEvents(text: string): GeppettoEvent[] {
  const events: GeppettoEvent[] = [{ type: "start", meta: { id: "bench", seq: 1 } }];
  let completion = "";
  let position = 0;
  let size = 3;
  while (position < text.length) {
    const delta = text.slice(position, position + size);
    position += delta.length;
    completion += delta;
    events.push({ type: "partial", delta, completion, meta: { id: "bench", seq: events.length + 1 } });
    size = size === 6 ? 3 : size + 1;
  }
  events.push({ type: "final", text: completion, meta: { id: "bench", seq: events.length + 1 } });
  return events;
}

/** The end of the line: reads each event's delta so nothing is optimised away. */
class CountingSink implements EventSink {
  characters = 0;
  events = 0;
  publish(event: GeppettoEvent): void {
    this.events++;
    if (event.type === "partial") this.characters += event.delta.length;
  }
}

const countingExtractor = (counter: { characters: number }): Extractor => ({
  package: "geppetto",
  type: "citations",
  version: "v1",
  newSession: () => ({
    onRaw(chunk) {
      counter.characters += chunk.length;
    },
  }),
});

const yamlExtractor: Extractor = {
  package: "geppetto",
  type: "citations",
  version: "v1",
  newSession(_meta, itemId) {
    const parser = debouncedYaml<{ citations: unknown[] }>({ newlineMinBytes: 1 });
    const update = (citations: unknown[], final: boolean): GeppettoEvent => ({
      type: "custom",
      name: "bench.citations",
      payload: { itemId, count: citations.length, final },
      meta: { id: "", seq: 0 },
    });
    return {
      onRaw(chunk) {
        const best = parser.feed(chunk);
        return best?.citations ? [update(best.citations, false)] : [];
      },
      onCompleted(raw, ok) {
        const outcome = parser.finish(raw);
        return ok && outcome.ok && outcome.value.citations ? [update(outcome.value.citations, true)] : [];
      },
    };
  },
};

type SinkFactory = () => { sink: EventSink; end: CountingSink };

const factories: Record<string, SinkFactory> = {
  "pass-through": () => {
    const end = new CountingSink();
    return { sink: { publish: (event) => end.publish(event) }, end };
  },
  filtering: () => {
    const end = new CountingSink();
    return { sink: new FilteringSink(end, {}, countingExtractor({ characters: 0 })), end };
  },
  "filtering + YAML": () => {
    const end = new CountingSink();
    return { sink: new FilteringSink(end, {}, yamlExtractor), end };
  },
};

function timeOnce(factory: SinkFactory, events: readonly GeppettoEvent[]): number {
  const { sink } = factory();
  const started = performance.now();
  for (const event of events) sink.publish(event);
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function measure(factory: SinkFactory, events: readonly GeppettoEvent[]): number {
  timeOnce(factory, events); // warm-up
  const times: number[] = [];
  for (let run = 0; run < runs; run++) times.push(timeOnce(factory, events));
  return median(times);
}

const text = buildText(megabytes * 1024 * 1024);
const events = textEvents(text);
const half = textEvents(text.slice(0, Math.floor(text.length / 2)));
const blocks = text.split("<geppetto:citations:v1>").length - 1;
const textMB = text.length / (1024 * 1024);

// Check the filtering is right before timing it: every block removed, nothing else.
const check = factories.filtering!();
for (const event of events) check.sink.publish(event);
const expectedCharacters = text.replace(
  /<geppetto:citations:v1>[\s\S]*?<\/geppetto:citations:v1>/g,
  "",
).length;
if (check.end.characters !== expectedCharacters) {
  throw new Error(`filtering forwarded ${check.end.characters} characters, expected ${expectedCharacters}`);
}

console.log(
  `text: ${textMB.toFixed(2)} MB, ${blocks} blocks, ${events.length - 2} partial events; median of ${runs} runs`,
);
const baseline = measure(factories["pass-through"]!, events);
console.log("| sink | median ms | MB/s | throughput ratio to pass-through |");
console.log("|---|---:|---:|---:|");
for (const [name, factory] of Object.entries(factories)) {
  const milliseconds = name === "pass-through" ? baseline : measure(factory, events);
  const throughput = textMB / (milliseconds / 1000);
  console.log(
    `| ${name} | ${milliseconds.toFixed(1)} | ${throughput.toFixed(1)} | ${(baseline / milliseconds).toFixed(3)} |`,
  );
}
const halfMs = measure(factories.filtering!, half);
const fullMs = measure(factories.filtering!, events);
console.log(
  `filtering, ms per MB: ${(halfMs / (textMB / 2)).toFixed(1)} on ${(textMB / 2).toFixed(2)} MB, ` +
    `${(fullMs / textMB).toFixed(1)} on ${textMB.toFixed(2)} MB (equal: O(delta) per event)`,
);

console.log("\n| debouncedYaml payload | attempts | parsed / payload characters | median ms | ms per KB |");
console.log("|---:|---:|---:|---:|---:|");
for (const kilobytes of [16, 64, 256]) {
  let payload = "citations:\n";
  for (let index = 0; payload.length < kilobytes * 1024; index++) {
    payload += `  - title: Paper ${index}: a study of things\n    authors: [Someone, Else]\n`;
  }
  let stats = { attempts: 0, parsedBytes: 0 };
  const times: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const parser = debouncedYaml({ maxBytes: Number.POSITIVE_INFINITY });
    const started = performance.now();
    for (let position = 0; position < payload.length; position += 4)
      parser.feed(payload.slice(position, position + 4));
    parser.finish();
    if (run > 0) times.push(performance.now() - started); // run 0 is the warm-up
    stats = parser.stats;
  }
  const milliseconds = median(times);
  console.log(
    `| ${kilobytes} KB | ${stats.attempts} | ${(stats.parsedBytes / payload.length).toFixed(2)} | ` +
      `${milliseconds.toFixed(1)} | ${(milliseconds / kilobytes).toFixed(3)} |`,
  );
}
