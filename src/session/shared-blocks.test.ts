import { describe, expect, it } from "vitest";
import { systemPromptMiddleware } from "../middleware/system-prompt.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { cloneTurn, newUserTextBlock } from "../turns/builders.ts";
import { EngineBuilder } from "./engine-builder.ts";
import { Session } from "./session.ts";
import { MemoryTurnStore } from "./turn-store.ts";

function chat(options: { store?: MemoryTurnStore } = {}): Session {
  let builder = new EngineBuilder()
    .withBase(new ScriptedEngine(script.text("Fine."), { repeatLast: true }))
    .withMiddlewares(systemPromptMiddleware("You help {{user}}."));
  if (options.store) builder = builder.withPersister(options.store);
  return new Session({ runner: builder, data: { user: "Ada" } });
}

describe("a Session's turns share their blocks and are immutable", () => {
  it("the next turn references the previous turn's blocks instead of copying them", async () => {
    const session = chat();
    session.appendNewTurnFromUserPrompt("one");
    const first = await session.startInference().wait();
    session.appendNewTurnFromUserPrompt("two");
    const second = await session.startInference().wait();
    expect(second.blocks.slice(0, first.blocks.length)).toEqual(first.blocks);
    for (const [index, block] of first.blocks.entries()) expect(second.blocks[index]).toBe(block);
    // The system prompt the middleware re-renders on every inference is kept once: same content, same object.
    expect(second.blocks[0]).toBe(first.blocks[0]);
    expect(session.turns.map((turn) => turn.blocks.length)).toEqual([
      first.blocks.length,
      second.blocks.length,
    ]);
  });

  it("a Turn handed out cannot change later, and editing it throws instead of changing the history", async () => {
    const session = chat();
    session.appendNewTurnFromUserPrompt("one");
    const turn = await session.startInference().wait();
    const answer = turn.blocks.at(-1)!;
    expect(() => {
      (answer.payload as { text: string }).text = "edited";
    }).toThrow(TypeError);
    expect(() => {
      (turn.metadata as Record<string, unknown>).extra = 1;
    }).toThrow(TypeError);
    expect(() => {
      (turn as { id: string }).id = "other";
    }).toThrow(TypeError);
    session.appendNewTurnFromUserPrompt("two");
    await session.startInference().wait();
    expect(session.turns[0]!.blocks.at(-1)).toEqual(answer);
    // cloneTurn stays deep and gives an editable copy.
    const copy = cloneTurn(turn);
    (copy.blocks.at(-1)!.payload as { text: string }).text = "edited";
    expect((turn.blocks.at(-1)!.payload as { text: string }).text).toBe("Fine.");
  });

  it("a prompt block the caller passes is copied, so the caller's object stays theirs to change", async () => {
    const session = chat();
    const block = newUserTextBlock("mine");
    session.appendNewTurnFromUserPrompt(block);
    block.payload.text = "changed by the caller";
    const turn = await session.startInference().wait();
    expect(turn.blocks.find((each) => each.kind === "user")?.payload).toEqual({ text: "mine" });
  });

  it("answers share what every turn repeats: their block metadata and the tool loop outcome", async () => {
    const session = chat();
    const turns = [];
    for (const prompt of ["one", "two"]) {
      session.appendNewTurnFromUserPrompt(prompt);
      turns.push(await session.startInference().wait());
    }
    const [first, second] = turns.map((turn) => ({
      answer: turn.blocks.at(-1)!,
      metadata: turn.metadata as Record<string, { status?: string } | undefined>,
    }));
    expect(second!.answer).not.toBe(first!.answer);
    expect(second!.answer.metadata).toBe(first!.answer.metadata);
    expect(Object.isFrozen(first!.answer.metadata)).toBe(true);
    expect(second!.metadata["geppetto.tool_loop_outcome@v1"]).toBe(
      first!.metadata["geppetto.tool_loop_outcome@v1"],
    );
    expect(second!.metadata["geppetto.tool_loop_outcome@v1"]).toEqual({ status: "completed", iterations: 1 });
  });

  it("a store shares the Session's blocks: saving a long conversation adds each block once", async () => {
    const store = new MemoryTurnStore();
    const session = chat({ store });
    for (let turn = 0; turn < 30; turn++) {
      session.appendNewTurnFromUserPrompt(`prompt ${turn}`);
      await session.startInference().wait();
    }
    const [loaded] = (await store.loadSession(session.id)).slice(-1);
    const latest = session.latest()!;
    for (const [index, block] of latest.blocks.entries()) expect(loaded!.blocks[index]).toBe(block);
    // 30 turns of 2 new blocks each, plus the system prompt, plus one: the first prompt is saved once before
    // the middleware puts the system prompt in front of it (moving it to position 1). 62 blocks in all, not the
    // 30 × 31 a store that writes whole conversations would write.
    expect(store.stats().rowsWritten - store.stats().saves).toBe(62);
  });
});
