import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  appendBlock,
  cloneTurn,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "./builders.ts";
import { blockMetadataKey, KeyValueError, keyId, turnDataKey, turnMetadataKey } from "./keys.ts";

describe("typed keys", () => {
  it("builds versioned ids", () => {
    expect(turnDataKey<{ a: number }>("geppetto", "tool_config", 1).id).toBe("geppetto.tool_config@v1");
    expect(keyId("my-app", "thing.sub", 3)).toBe("my-app.thing.sub@v3");
    expect(() => keyId("bad ns", "x", 1)).toThrow(/namespace/);
    expect(() => keyId("ns", "x", 0)).toThrow(/version/);
  });

  it("gets and sets typed values without mutating the holder", () => {
    const key = turnDataKey<{ limit: number }>("app", "limits", 1);
    const turn = newTurn();
    const next = key.set(turn, { limit: 3 });
    expect(key.get(next)).toEqual({ limit: 3 });
    expect(key.get(turn)).toBeUndefined();
    expect(turn.data).toEqual({});
    expect(key.has(next)).toBe(true);
    expect(key.has(key.delete(next))).toBe(false);
  });

  it("stores a copy, so later edits to the value do not leak into the turn", () => {
    const key = turnMetadataKey<{ tags: string[] }>("app", "tags", 1);
    const value = { tags: ["a"] };
    const turn = key.set(newTurn(), value);
    value.tags.push("b");
    expect(key.get(turn)).toEqual({ tags: ["a"] });
  });

  it("refuses values JSON cannot represent, naming where", () => {
    const key = turnDataKey<unknown>("app", "value", 1);
    const turn = newTurn();
    expect(() => key.set(turn, { when: new Date() })).toThrow(
      /turn\.data\["app\.value@v1"\]\.when: not JSON-serializable \(instance of Date\)/,
    );
    expect(() => key.set(turn, { f: () => 1 })).toThrow(/function/);
    expect(() => key.set(turn, [1, Number.NaN])).toThrow(/\[1\].*non-finite/);
    expect(() => key.set(turn, { big: 1n })).toThrow(/bigint/);
    expect(() => key.set(turn, { missing: undefined })).toThrow(/undefined/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => key.set(turn, cyclic)).toThrow(/cycle/);
  });

  it("validates with the key's schema on get, naming the key and field", () => {
    const key = turnDataKey("app", "config", 1, z.object({ temperature: z.number() }));
    const turn = { ...newTurn(), data: { "app.config@v1": { temperature: "hot" } } };
    expect(() => key.get(turn)).toThrow(KeyValueError);
    expect(() => key.get(turn)).toThrow(/turn\.data\["app\.config@v1"\]\.temperature/);
  });

  it("works on block metadata", () => {
    const key = blockMetadataKey<string>("openai_responses", "response_id", 1);
    const block = newUserTextBlock("hi");
    const tagged = key.set(block, "resp_1");
    expect(key.get(tagged)).toBe("resp_1");
    expect(key.get(block)).toBeUndefined();
    expect(tagged.kind).toBe("user");
  });
});

describe("builders", () => {
  it("appendBlock returns a new turn and leaves the input alone", () => {
    const turn = newTurn([newUserTextBlock("a")]);
    const next = appendBlock(turn, newUserTextBlock("b"));
    expect(turn.blocks).toHaveLength(1);
    expect(next.blocks).toHaveLength(2);
    expect(next.id).toBe(turn.id);
  });

  it("cloneTurn is deep (unlike the Go version's one-level copy)", () => {
    const turn = newTurn([newToolCallBlock({ id: "c1", name: "f", args: { nested: { list: [1] } } })], {
      data: { "app.x@v1": { deep: [1] } },
    });
    const copy = cloneTurn(turn, { id: "other" });
    const payload = copy.blocks[0]?.payload as { args: { nested: { list: number[] } } };
    payload.args.nested.list.push(2);
    (copy.data["app.x@v1"] as { deep: number[] }).deep.push(2);
    expect(turn.blocks[0]?.payload).toEqual({ id: "c1", name: "f", args: { nested: { list: [1] } } });
    expect(turn.data["app.x@v1"]).toEqual({ deep: [1] });
    expect(copy.id).toBe("other");
  });

  it("finds tool calls that have no result yet", () => {
    const turn = newTurn([
      newToolCallBlock({ id: "a", name: "f", args: {} }),
      newToolCallBlock({ id: "b", name: "g", args: {} }),
      newToolUseBlock("a", 1),
    ]);
    expect(pendingToolCalls(turn).map((block) => block.payload.id)).toEqual(["b"]);
  });
});
