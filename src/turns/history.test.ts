import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newAssistantTextBlock, newSystemTextBlock, newUserTextBlock } from "./builders.ts";
import { TurnHistory } from "./history.ts";
import { isDeepFrozen } from "./immutable.ts";
import type { Block, Turn } from "./types.ts";

/** One step of a random history: what a Session, middleware or a caller may do to the turns. */
type Step =
  | { kind: "next"; added: number } // a new turn: the newest's blocks plus `added` new ones
  | { kind: "grow"; added: number } // the newest turn gains blocks (an answer)
  | { kind: "replace"; at: number; same: boolean } // the newest turn's block at `at` replaced (same content or not)
  | { kind: "older"; turn: number; at: number } // an older turn's block replaced
  | { kind: "shrink"; turn: number; by: number }; // a turn loses its last blocks

const steps = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("next" as const), added: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant("grow" as const), added: fc.integer({ min: 1, max: 2 }) }),
    fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), same: fc.boolean() }),
    fc.record({ kind: fc.constant("older" as const), turn: fc.nat(), at: fc.nat() }),
    fc.record({ kind: fc.constant("shrink" as const), turn: fc.nat(), by: fc.integer({ min: 1, max: 2 }) }),
  ),
  { minLength: 1, maxLength: 40 },
);

let counter = 0;
const block = (): Block =>
  counter++ % 2 === 0 ? newUserTextBlock(`u${counter}`) : newAssistantTextBlock(`a${counter}`);

/** The plain model: every turn as its own JSON document. */
function apply(model: Turn[], history: TurnHistory, step: Step): void {
  const newest = model.at(-1);
  let changed: Turn | undefined;
  switch (step.kind) {
    case "next": {
      const base = newest ? history.latest()!.blocks : [];
      changed = {
        id: `t${model.length}`,
        blocks: [...base, ...Array.from({ length: step.added }, block)],
        metadata: { n: model.length },
        data: {},
      };
      break;
    }
    case "grow":
      if (!newest) return;
      changed = {
        ...history.latest()!,
        blocks: [...history.latest()!.blocks, ...Array.from({ length: step.added }, block)],
      };
      break;
    case "replace": {
      const latest = history.latest();
      if (!latest || latest.blocks.length === 0) return;
      const at = step.at % latest.blocks.length;
      const old = latest.blocks[at]!;
      const replacement = step.same
        ? (JSON.parse(JSON.stringify(old)) as Block)
        : newSystemTextBlock(`s${counter++}`);
      const blocks = [...latest.blocks];
      blocks[at] = replacement;
      changed = { ...latest, blocks };
      break;
    }
    case "older": {
      if (model.length < 2) return;
      const index = step.turn % (model.length - 1);
      const turn = history.at(index);
      if (turn.blocks.length === 0) return;
      const blocks = [...turn.blocks];
      blocks[step.at % blocks.length] = newSystemTextBlock(`o${counter++}`);
      changed = { ...turn, blocks };
      break;
    }
    case "shrink": {
      if (model.length === 0) return;
      const turn = history.at(step.turn % model.length);
      changed = { ...turn, blocks: turn.blocks.slice(0, Math.max(0, turn.blocks.length - step.by)) };
      break;
    }
  }
  const index = model.findIndex((each) => each.id === changed.id);
  const document = JSON.parse(JSON.stringify(changed)) as Turn;
  if (index >= 0) model[index] = document;
  else model.push(document);
  history.record(changed);
}

describe("TurnHistory", () => {
  it("gives back every turn exactly as recorded, whatever the order of appends and edits (property)", () => {
    fc.assert(
      fc.property(steps, (plan) => {
        const model: Turn[] = [];
        const history = new TurnHistory();
        for (const step of plan) {
          apply(model, history, step);
          expect(history.length).toBe(model.length);
          for (let index = 0; index < model.length; index++) {
            expect(JSON.parse(JSON.stringify(history.at(index)))).toEqual(model[index]);
          }
        }
        expect(history.views().map((view) => JSON.parse(JSON.stringify(view)))).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });

  it("shares the blocks turns have in common and freezes what it keeps", () => {
    const history = new TurnHistory();
    const first = history.record({ id: "t1", blocks: [newUserTextBlock("hi")], metadata: {}, data: {} });
    const second = history.record({
      id: "t2",
      blocks: [...first.blocks, newAssistantTextBlock("hello")],
      metadata: {},
      data: {},
    });
    expect(history.at(0).blocks[0]).toBe(second.blocks[0]);
    expect(isDeepFrozen(second.blocks[1])).toBe(true);
    expect(Object.isFrozen(second)).toBe(true);
    expect(() => {
      (second.blocks[1]!.payload as { text: string }).text = "changed";
    }).toThrow(TypeError);
  });

  it("names a missing index with a CallerError", () => {
    const history = new TurnHistory();
    history.record({ id: "t1", blocks: [newUserTextBlock("hi")], metadata: {}, data: {} });
    expect(() => history.at(3)).toThrow(
      expect.objectContaining({ code: "invalid_argument", message: "no turn at index 3 (history has 1)" }),
    );
    expect(() => history.idAt(1)).toThrow(expect.objectContaining({ code: "invalid_argument" }));
  });

  it("keeps one copy of a block re-created with the same content (a re-rendered system prompt)", () => {
    const history = new TurnHistory();
    const system = newSystemTextBlock("Be brief.");
    history.record({ id: "t1", blocks: [system], metadata: {}, data: {} });
    const stored: Block[] = [];
    const again = history.record(
      {
        id: "t2",
        blocks: [{ ...system, payload: { text: "Be brief." } }, newUserTextBlock("hi")],
        metadata: {},
        data: {},
      },
      (kept) => stored.push(kept),
    );
    expect(again.blocks[0]).toBe(system);
    expect(stored.map((each) => each.kind)).toEqual(["user"]);
  });
});
