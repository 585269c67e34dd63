/**
 * FileStateStore beyond the shared contract: a save appends one line with only what is new, a torn last line
 * (a crash mid-append) leaves the previous save, a corrupt line is named, and files of the earlier one-document
 * format load and move to the log on their next save.
 */
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newUserTextBlock } from "../turns/builders.ts";
import { frozenTurn } from "../turns/immutable.ts";
import type { Block } from "../turns/types.ts";
import { CONVERSATION_LOG_FORMAT, FileStateStore } from "./file-state-store.ts";
import { type ConversationState, emptyTurn, encodeConversationState } from "./state-store.ts";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "geppetto-file-state-"));
});
afterEach(() => rm(directory, { recursive: true, force: true }));

function state(blocks: readonly Block[], turnId = `t${blocks.length}`): ConversationState {
  return { conversationId: "c1", turn: frozenTurn(turnId, [...blocks], {}, {}), variables: {}, metadata: {} };
}

async function lines(store: FileStateStore): Promise<string[]> {
  return (await readFile(store.fileOf("c1"), "utf8")).split("\n").filter((line) => line !== "");
}

describe("FileStateStore", () => {
  it("appends one line per save holding only the blocks the save adds", async () => {
    const store = new FileStateStore(directory);
    const one = [newUserTextBlock("one")];
    await store.save(state(one));
    const two = [...(await store.load("c1"))!.turn.blocks, newUserTextBlock("two")];
    await store.save(state(two));
    await store.save(state([...two, newUserTextBlock("three")]));
    expect(await readdir(directory)).toEqual(["c1.jsonl"]);
    const written = await lines(store);
    expect(written).toHaveLength(3);
    expect(written.map((line) => JSON.parse(line).format)).toEqual(Array(3).fill(CONVERSATION_LOG_FORMAT));
    expect(written[1]).toContain('"two"');
    expect(written[1]).not.toContain('"one"');
    expect(written[2]).not.toContain('"two"');
    const again = await new FileStateStore(directory).load("c1");
    expect(again?.turn.blocks.map((block) => block.payload)).toEqual([
      { text: "one" },
      { text: "two" },
      { text: "three" },
    ]);
    expect(again?.turn.id).toBe("t3");
  });

  it("a torn last line (a crash mid-append) leaves the save before it; the next save rewrites the file", async () => {
    const store = new FileStateStore(directory);
    await store.save(state([newUserTextBlock("kept")]));
    await appendFile(
      store.fileOf("c1"),
      '{"format":"geppetto.conversation_log/v1","conversationId":"c1","bl',
    );
    const reader = new FileStateStore(directory);
    const loaded = (await reader.load("c1"))!;
    expect(loaded.turn.blocks.map((block) => block.payload)).toEqual([{ text: "kept" }]);
    await reader.save(state([...loaded.turn.blocks, newUserTextBlock("next")]));
    expect(await lines(reader)).toHaveLength(1);
    expect((await new FileStateStore(directory).load("c1"))?.turn.blocks).toHaveLength(2);
    expect((await readdir(directory)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("a corrupt line is an error naming the file and the line", async () => {
    const store = new FileStateStore(directory);
    await store.save(state([newUserTextBlock("one")]));
    await appendFile(store.fileOf("c1"), "{ half a line\n");
    await expect(store.load("c1")).rejects.toMatchObject({
      code: "corrupt_state",
      message: expect.stringContaining(`${store.fileOf("c1")} (line 2)`),
    });
    await writeFile(store.fileOf("c1"), "{ half a docu");
    await expect(store.load("c1")).rejects.toThrow("the log holds no complete save");
  });

  it("loads a file of the earlier one-document format and moves it to the log on its next save", async () => {
    const legacy = join(directory, "c1.json");
    await writeFile(
      legacy,
      encodeConversationState(
        {
          conversationId: "c1",
          turn: frozenTurn("old", [newUserTextBlock("from before")], {}, {}),
          variables: { who: "Ada" },
          metadata: {},
        },
        2,
      ),
    );
    const store = new FileStateStore(directory);
    expect(await store.list()).toEqual(["c1"]);
    const loaded = (await store.load("c1"))!;
    expect(loaded.variables).toEqual({ who: "Ada" });
    await store.save({ ...loaded, turn: frozenTurn("new", [...loaded.turn.blocks], {}, {}) });
    expect(await readdir(directory)).toEqual(["c1.jsonl"]);
    expect((await store.load("c1"))?.turn.blocks.map((block) => block.payload)).toEqual([
      { text: "from before" },
    ]);
    expect(await store.delete("c1")).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it("saves an empty conversation", async () => {
    const store = new FileStateStore(directory);
    await store.save({ conversationId: "c1", turn: emptyTurn("c1"), variables: {}, metadata: {} });
    expect((await store.load("c1"))?.turn.blocks).toEqual([]);
  });
});
