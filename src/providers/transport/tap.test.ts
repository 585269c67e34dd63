import { describe, expect, it } from "vitest";
import { JsonArraySplitter, LineSplitter, SseSplitter } from "./splitters.ts";
import { type RawTap, scrubbingTap } from "./tap.ts";

const KEY = "sk-tap-secret-0123456789";

function recordingTap() {
  const chunks: Uint8Array[] = [];
  const record: { url?: string; headers?: Record<string, string>; body?: string; error?: unknown } = {};
  const tap: RawTap = {
    request: (request) => Object.assign(record, request),
    response: (response) => {
      record.headers = response.headers;
    },
    chunk: (bytes) => chunks.push(bytes.slice()),
    end: (error) => {
      record.error = error;
    },
  };
  const body = () => Buffer.concat(chunks).toString("utf8");
  return { tap, record, body };
}

describe("scrubbingTap", () => {
  it("replaces a key echoed in the body, even split across chunks, and keeps every other byte", () => {
    const { tap, body } = recordingTap();
    const scrubbed = scrubbingTap(tap, [KEY]);
    scrubbed.request({ method: "POST", url: "http://h/v1", headers: {}, body: "{}" });
    const text = `data: {"error":"bad key ${KEY}", "é": "ü"}\n\n`;
    const bytes = Buffer.from(text, "utf8");
    const split = text.indexOf(KEY) + 5;
    scrubbed.chunk(bytes.subarray(0, split));
    scrubbed.chunk(bytes.subarray(split));
    scrubbed.end();
    expect(body()).toBe(text.replace(KEY, "[redacted]"));
  });

  it("scrubs the request, the response headers and the error message", () => {
    const { tap, record } = recordingTap();
    const scrubbed = scrubbingTap(tap, [KEY]);
    scrubbed.request({ method: "GET", url: `http://h/v1?key=${KEY}`, headers: { "x-echo": KEY }, body: KEY });
    scrubbed.response({ status: 401, headers: { "x-seen-key": KEY } });
    scrubbed.end(new TypeError(`cannot use ${KEY}`));
    expect(JSON.stringify(record)).not.toContain(KEY);
    expect((record.error as Error).message).toBe("cannot use [redacted]");
    expect((record.error as Error).name).toBe("TypeError");
  });
});

describe("splitters at the end of a stream cut in the middle of an event", () => {
  it("deliver the unfinished event, whose JSON then fails to parse (the transport calls that an early end)", () => {
    const sse = new SseSplitter((data) => JSON.parse(data));
    sse.push('data: {"choices":[{"delta":');
    expect(() => sse.end()).toThrow(SyntaxError);
    const lines = new LineSplitter((line) => JSON.parse(line));
    lines.push('{"message":{"content":"hi"}}\n{"mess');
    expect(() => lines.end()).toThrow(SyntaxError);
  });

  it("a streamed JSON array that stops inside an element throws a SyntaxError at end()", () => {
    const elements: string[] = [];
    const array = new JsonArraySplitter((element) => elements.push(element));
    array.push('[{"a":1},\n{"b":');
    expect(() => array.end()).toThrow(/ended inside an element/);
    expect(elements).toEqual(['{"a":1}']);
  });
});
