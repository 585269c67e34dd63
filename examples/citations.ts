// The structured sink with citations: a FilteringSink takes a `<geppetto:citations:v1>` YAML block out of the
// streaming answer and publishes best-so-far citations as typed custom events while the answer still streams.
// Run it: npm run build && npx node examples/citations.ts
import {
  defineCustomEvent,
  type GeppettoEvent,
  newTurn,
  newUserTextBlock,
  RunContext,
  TextPrinter,
} from "geppetto";
import { debouncedYaml, type Extractor, FilteringSink } from "geppetto/structured";
import { ScriptedEngine, script } from "geppetto/testing";
import { z } from "zod";

const Citation = z.object({ title: z.string(), authors: z.array(z.string()).optional() });
const CitationsBlock = z.object({ citations: z.array(Citation) });

const CitationsUpdate = defineCustomEvent(
  "myapp.citations",
  z.object({ itemId: z.string(), citations: z.array(Citation), final: z.boolean() }),
);

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
citations:
  - title: Attention Is All You Need
    authors: [Vaswani, Shazeer]
  - title: GPT-4 Technical Report
</geppetto:citations:v1>
They now power most language models.`;

const engine = new ScriptedEngine(script.text(answer, { chunkSize: 7 }));
const printer = new TextPrinter(process.stdout);
const ui = {
  publish(event: GeppettoEvent) {
    if (CitationsUpdate.is(event)) {
      const titles = event.payload.citations.map((citation) => citation.title).join("; ");
      console.log(`\n[citations${event.payload.final ? ", final" : ""}: ${titles}]`);
    } else printer.publish(event);
  },
};
const sink = new FilteringSink(ui, { malformed: "reconstruct-text" }, citationsExtractor);
await engine.runInference(
  newTurn([newUserTextBlock("What changed NLP?")]),
  RunContext.background().withSinks(sink),
);
console.log();
