/**
 * The README example, runnable: a citations extractor that streams best-so-far citations while the answer
 * streams. Keep it in step with README-example.md.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CollectingSink, defineCustomEvent, newTurn, RunContext } from "../index.ts";
import { ScriptedEngine, script } from "../testing/index.ts";
import { debouncedYaml, type Extractor, FilteringSink } from "./index.ts";

// --- the example ---------------------------------------------------------------------------------------------

const Citation = z.object({ title: z.string(), authors: z.array(z.string()).optional() });
const CitationsBlock = z.object({ citations: z.array(Citation) });

/** Published while a citations block streams (`final: false`) and once when it closes (`final: true`). */
const CitationsUpdate = defineCustomEvent(
  "myapp.citations",
  z.object({ itemId: z.string(), citations: z.array(Citation), final: z.boolean() }),
);

/** Extracts `<geppetto:citations:v1>` blocks written in YAML. */
const citationsExtractor: Extractor = {
  package: "geppetto",
  type: "citations",
  version: "v1",
  newSession(_meta, itemId) {
    const parser = debouncedYaml({ validate: (value) => CitationsBlock.parse(value), newlineMinBytes: 1 });
    return {
      onRaw(chunk) {
        const best = parser.feed(chunk);
        return best ? [CitationsUpdate.create({ itemId, citations: best.citations, final: false })] : [];
      },
      onCompleted(raw, ok) {
        const outcome = parser.finish(raw);
        if (!ok || !outcome.ok) return [];
        return [CitationsUpdate.create({ itemId, citations: outcome.value.citations, final: true })];
      },
    };
  },
};

const answer = `Transformers replaced recurrence with attention.
<geppetto:citations:v1>
\`\`\`yaml
citations:
  - title: Attention Is All You Need
    authors: [Vaswani, Shazeer]
  - title: "GPT-4 Technical Report"
    authors: [OpenAI]
  - title: Scaling laws: compute and data
\`\`\`
</geppetto:citations:v1>
They now power most language models.`;

// --- the checks ----------------------------------------------------------------------------------------------

describe("README example: streaming citations", () => {
  it("removes the block from the answer and streams best-so-far citations", async () => {
    const engine = new ScriptedEngine(script.text(answer, { chunkSize: 7 }));
    const events = new CollectingSink();
    const sink = new FilteringSink(events, { malformed: "reconstruct-text" }, citationsExtractor);
    await engine.runInference(newTurn(), RunContext.background().withSinks(sink));

    const final = events.ofType("final")[0]!;
    expect(final.text).toBe(
      "Transformers replaced recurrence with attention.\n\nThey now power most language models.",
    );

    const updates = events.events.filter((event) => CitationsUpdate.is(event));
    const counts = updates.map((event) => (CitationsUpdate.is(event) ? event.payload.citations.length : 0));
    // Best-so-far: a citation appears as soon as its line is complete, then grows (its authors), and so on.
    expect(counts).toEqual([1, 1, 2, 3, 3]);
    const last = updates.at(-1)!;
    expect(CitationsUpdate.is(last) && last.payload).toMatchObject({
      final: true,
      citations: [
        { title: "Attention Is All You Need", authors: ["Vaswani", "Shazeer"] },
        { title: "GPT-4 Technical Report", authors: ["OpenAI"] },
        { title: "Scaling laws: compute and data" },
      ],
    });

    // The citations arrive while the answer streams: text is forwarded after the first update.
    const firstUpdate = events.events.indexOf(updates[0]!);
    const lastPartial = events.events.findLastIndex((event) => event.type === "partial");
    expect(firstUpdate).toBeLessThan(lastPartial);
  });
});
