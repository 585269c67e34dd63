import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonArraySplitter, LineSplitter, SseSplitter } from "./splitters.ts";

function sse(chunks: string[]): [string, string | undefined][] {
  const events: [string, string | undefined][] = [];
  const splitter = new SseSplitter((data, event) => events.push([data, event]));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return events;
}

describe("SseSplitter", () => {
  it("splits data events, with and without the space after the colon", () => {
    expect(sse(['data: {"a":1}\n\ndata:{"b":2}\n\n', "data: [DONE]\n\n"])).toEqual([
      ['{"a":1}', undefined],
      ['{"b":2}', undefined],
      ["[DONE]", undefined],
    ]);
  });

  it("keeps event names, joins multi-line data and ignores comments, ids and retry", () => {
    expect(sse([": keep-alive\n", "event: message_start\nid: 7\nretry: 10\ndata: a\ndata: b\n\n"])).toEqual([
      ["a\nb", "message_start"],
    ]);
  });

  it("handles CRLF, CR-only and a CRLF split across chunks", () => {
    expect(sse(["data: one\r", "\n\r\ndata: two\r\r", "data: three\r\n\r\n"])).toEqual([
      ["one", undefined],
      ["two", undefined],
      ["three", undefined],
    ]);
  });

  it("reassembles a line split anywhere, byte by byte", () => {
    const text = 'event: x\ndata: {"text":"héllo"}\n\ndata: 2\n\n';
    expect(sse([...text])).toEqual([
      ['{"text":"héllo"}', "x"],
      ["2", undefined],
    ]);
  });

  it("delivers a last event without its blank line at the end", () => {
    expect(sse(["data: last"])).toEqual([["last", undefined]]);
  });

  it("delivers a one-line event during the push that read its blank line, its name not kept for the next", () => {
    const events: [string, string | undefined][] = [];
    const splitter = new SseSplitter((data, event) => events.push([data, event]));
    splitter.push("event: a\ndata: 1\n\ndata: 2\n");
    expect(events).toEqual([["1", "a"]]);
    splitter.push("\ndata: 3\n\n");
    expect(events).toEqual([
      ["1", "a"],
      ["2", undefined],
      ["3", undefined],
    ]);
  });

  it("drops an event name without data", () => {
    expect(sse(["event: ping\n\ndata: x\n\n"])).toEqual([["x", undefined]]);
  });
});

describe("LineSplitter", () => {
  it("splits NDJSON across chunks, skipping blank lines and CRs", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    for (const chunk of ['{"a":', '1}\r\n\n{"b"', ":2}"]) splitter.push(chunk);
    splitter.end();
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });
});

describe("JsonArraySplitter", () => {
  function elements(chunks: string[]): unknown[] {
    const out: unknown[] = [];
    const splitter = new JsonArraySplitter((element) => out.push(JSON.parse(element)));
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
    expect(splitter.closed).toBe(true);
    return out;
  }

  it("yields each element as soon as it is complete", () => {
    const seen: string[] = [];
    const splitter = new JsonArraySplitter((element) => seen.push(element));
    splitter.push('[{"a":1}');
    expect(seen).toEqual(['{"a":1}']);
    splitter.push(',\n{"b":[1,2');
    expect(seen).toHaveLength(1);
    splitter.push("]}\n]");
    expect(seen).toEqual(['{"a":1}', '{"b":[1,2]}']);
  });

  it("respects brackets, quotes and escapes inside strings, split anywhere", () => {
    const text = '[{"t":"a]}\\"[{"},{"n":null},"s",3,true]';
    expect(elements([...text])).toEqual([{ t: 'a]}"[{' }, { n: null }, "s", 3, true]);
  });

  it("rejects a body that is not an array, naming the offset", () => {
    const splitter = new JsonArraySplitter(() => {});
    expect(() => splitter.push('  {"a":1}')).toThrow(/expected "\[" at offset 2/);
  });
});

describe("SseSplitter against eventsource-parser (the reference parser)", () => {
  it("splits any stream, cut anywhere, into the same events", async () => {
    const { createParser } = await import("eventsource-parser");
    const line = fc.oneof(
      fc.constantFrom(
        "",
        ": comment",
        "id: 3",
        "retry: 5",
        "event: delta",
        "event: other",
        "event:",
        "data",
        "event",
      ),
      fc.string({ maxLength: 12 }).map((text) => `data: ${text.replace(/[\r\n]/g, "")}`),
      fc.string({ maxLength: 12 }).map((text) => `data:${text.replace(/[\r\n]/g, "")}`),
    );
    const stream = fc.tuple(
      fc.array(line, { maxLength: 20 }),
      fc.constantFrom("\n", "\r\n", "\r"),
      fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 6 }),
    );
    fc.assert(
      fc.property(stream, ([lines, ending, cuts]) => {
        const text = lines.map((each) => each + ending).join("");
        const expected: [string, string | undefined][] = [];
        const reference = createParser({
          onEvent: (message) => expected.push([message.data, message.event]),
        });
        reference.feed(text);
        reference.feed("\n\n");
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const point of points) {
          chunks.push(text.slice(from, point));
          from = point;
        }
        chunks.push(text.slice(from));
        expect(sse(chunks)).toEqual(expected);
        // A handler that takes no name gets the same data (the splitter skips the names for it).
        const data: string[] = [];
        const splitter = new SseSplitter((each) => data.push(each));
        for (const chunk of chunks) splitter.push(chunk);
        splitter.end();
        expect(data).toEqual(expected.map(([each]) => each));
      }),
      { numRuns: 2000 },
    );
  });
});
