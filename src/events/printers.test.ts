import { describe, expect, it } from "vitest";
import { StructuredPrinter, TextPrinter } from "./printers.ts";
import type { GeppettoEvent } from "./types.ts";

function buffer() {
  let text = "";
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    get text() {
      return text;
    },
  };
}
const meta = { id: "m", seq: 1, model: "x" };
const events: GeppettoEvent[] = [
  { type: "start", meta },
  { type: "partial-thinking", delta: "hmm", completion: "hmm", meta },
  { type: "partial", delta: "Hel", completion: "Hel", meta },
  { type: "partial", delta: "lo", completion: "Hello", meta },
  { type: "tool-call", toolCall: { id: "c", name: "time", input: {} }, meta },
  { type: "tool-result", toolResult: { id: "c", name: "time", result: "noon" }, meta },
  { type: "final", text: "Hello", meta },
];

describe("printers", () => {
  it("TextPrinter streams the answer, tool lines and a final newline", () => {
    const out = buffer();
    const printer = new TextPrinter(out);
    for (const event of events) printer.publish(event);
    expect(out.text).toBe('Hello\n→ time({})\n← time: "noon"\n');
  });

  it("TextPrinter shows thinking only when asked", () => {
    const out = buffer();
    const printer = new TextPrinter(out, { showThinking: true, showTools: false });
    for (const event of events) printer.publish(event);
    expect(out.text).toBe("thinking: hmm\nHello\n");
  });

  it("StructuredPrinter writes JSON lines with or without metadata", () => {
    const plain = buffer();
    const withMeta = buffer();
    const a = new StructuredPrinter(plain, { format: "json" });
    const b = new StructuredPrinter(withMeta, { format: "json", includeMetadata: true });
    for (const event of events) {
      a.publish(event);
      b.publish(event);
    }
    const lines = plain.text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(events.length);
    expect(lines[3]).toEqual({ type: "partial", delta: "lo", completion: "Hello" });
    expect(JSON.parse(withMeta.text.split("\n")[0]!).meta).toEqual(meta);
  });

  it("StructuredPrinter writes YAML documents and terse text", () => {
    const yaml = buffer();
    const text = buffer();
    const y = new StructuredPrinter(yaml, { format: "yaml" });
    const t = new StructuredPrinter(text, { format: "text" });
    for (const event of events) {
      y.publish(event);
      t.publish(event);
    }
    expect(yaml.text.split("---\n")).toHaveLength(events.length + 1);
    expect(yaml.text).toContain("type: final\ntext: Hello\n");
    expect(text.text.split("\n")).toContain('final: {"text":"Hello"}');
    expect(text.text).not.toContain("partial");
  });
});
