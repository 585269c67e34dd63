import { describe, expect, it } from "vitest";
import { z } from "zod";
import { debouncedJson, debouncedYaml } from "./debounced.ts";

const Citations = z.object({ citations: z.array(z.object({ title: z.string() })) });

function citationsYaml(count: number): string {
  let text = "```yaml\ncitations:\n";
  for (let index = 0; index < count; index++) text += `  - title: Paper number ${index}: a study\n`;
  return `${text}\`\`\`\n`;
}

describe("debouncedYaml", () => {
  it("gives best-so-far values while streaming and the whole value at the end", () => {
    const parser = debouncedYaml({ everyBytes: 1_000_000, newlineMinBytes: 1, growthRatio: 0 });
    const snapshots: unknown[] = [];
    for (const character of citationsYaml(3)) {
      const value = parser.feed(character);
      if (value !== undefined) snapshots.push(value);
    }
    // Only complete lines are parsed; a repeated value is not reported twice.
    expect(snapshots).toEqual([
      { citations: null },
      { citations: [{ title: "Paper number 0: a study" }] },
      { citations: [{ title: "Paper number 0: a study" }, { title: "Paper number 1: a study" }] },
      {
        citations: [
          { title: "Paper number 0: a study" },
          { title: "Paper number 1: a study" },
          { title: "Paper number 2: a study" },
        ],
      },
    ]);
    expect(parser.finish()).toEqual({ ok: true, value: snapshots[3] });
  });

  it("validates values: rejected snapshots are skipped, a rejected final is an error", () => {
    const parser = debouncedYaml({ validate: (value) => Citations.parse(value), newlineMinBytes: 1 });
    expect(parser.feed("citations:\n")).toBeUndefined();
    expect(parser.feed("  - title: A\n")).toEqual({ citations: [{ title: "A" }] });
    expect(parser.finish("citations: 3").ok).toBe(false);
  });

  it("reports unparseable and empty payloads as errors, without throwing", () => {
    const parser = debouncedYaml({ sanitize: false });
    expect(parser.finish("a: [1, 2").ok).toBe(false);
    expect(parser.finish("   ")).toMatchObject({ ok: false, error: { message: "payload is empty" } });
  });

  it("enforces maxBytes", () => {
    const parser = debouncedYaml({ maxBytes: 10 });
    parser.feed("a: 1\n");
    parser.feed("b: 2222222\n");
    expect(parser.feed("c: 3\n")).toBeUndefined();
    expect(parser.finish()).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/maxBytes/) },
    });
  });

  it("keeps the total parsing work linear in the payload size", () => {
    for (const count of [100, 1000, 2000]) {
      const text = citationsYaml(count);
      const parser = debouncedYaml({ maxBytes: Number.POSITIVE_INFINITY });
      for (const character of text) parser.feed(character);
      const { attempts, parsedBytes, fedBytes } = parser.stats;
      expect(fedBytes).toBe(text.length);
      // Geometric gaps: at most about n × (1 + 1 / 0.25) characters parsed, and O(log n) attempts once large.
      expect(parsedBytes).toBeLessThanOrEqual(5 * text.length + 256);
      expect(attempts).toBeLessThan(60);
    }
  });

  it("with growthRatio 0, parses every fixed gap", () => {
    const text = citationsYaml(200);
    const parser = debouncedYaml({ growthRatio: 0, everyBytes: 100, onNewline: false, maxBytes: 1e9 });
    for (const character of text) parser.feed(character);
    expect(parser.stats.attempts).toBe(Math.floor(text.length / 100));
  });
});

describe("debouncedJson", () => {
  it("gives best-so-far values of streaming JSON", () => {
    const parser = debouncedJson({ everyBytes: 4, growthRatio: 0 });
    const text = '```json\n{"citations": [{"title": "A"}, {"title": "B"}]}\n```';
    const snapshots: unknown[] = [];
    for (const character of text) {
      const value = parser.feed(character);
      if (value !== undefined) snapshots.push(value);
    }
    expect(snapshots.length).toBeGreaterThan(1);
    expect(snapshots).toContainEqual({ citations: [{ title: "A" }] });
    expect(parser.finish()).toEqual({ ok: true, value: { citations: [{ title: "A" }, { title: "B" }] } });
  });
});
