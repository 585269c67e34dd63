import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject, JsonValue } from "./json.ts";
import { TurnFormatError, turnFromJson, turnFromYaml, turnToJson, turnToYaml } from "./serialization.ts";
import type { Block, Turn } from "./types.ts";

const jsonValue: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 3 }).map((value) => value as JsonValue);
// Keys include the ones that trip naive object copies (a `__proto__` key is valid JSON and must round trip).
const key = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "prototype"));
const jsonObject: fc.Arbitrary<JsonObject> = fc.dictionary(key, jsonValue, { maxKeys: 4 });
const text = fc.string({ unit: "binary" });
const metadata = fc.dictionary(fc.constantFrom("geppetto.a@v1", "openai.b@v1", "x"), jsonValue, {
  maxKeys: 3,
});

const image = fc.record(
  {
    mediaType: fc.constantFrom("image/png", "image/jpeg"),
    url: fc.webUrl(),
    data: fc.base64String(),
    fileId: fc.string(),
    detail: fc.constantFrom("low", "high", "auto"),
  },
  { requiredKeys: ["mediaType"] },
);

function blockArbitrary(): fc.Arbitrary<Block> {
  const base = { id: fc.uuid(), metadata };
  const textPayload = fc.record(
    { text, images: fc.array(image, { maxLength: 2 }) },
    { requiredKeys: ["text"] },
  );
  return fc.oneof(
    fc.record({ ...base, kind: fc.constant("system"), payload: fc.record({ text }) }),
    fc.record({ ...base, kind: fc.constant("user"), role: fc.constant("user"), payload: textPayload }),
    fc.record({
      ...base,
      kind: fc.constant("llm_text"),
      role: fc.constant("assistant"),
      payload: fc.record({ text }),
    }),
    fc.record({
      ...base,
      kind: fc.constant("tool_call"),
      payload: fc.record(
        { id: fc.string(), name: fc.string(), args: jsonObject, argsText: text },
        { requiredKeys: ["id", "name", "args"] },
      ),
    }),
    fc.record({
      ...base,
      kind: fc.constant("tool_use"),
      payload: fc.record(
        { id: fc.string(), name: fc.string(), result: jsonValue, error: text },
        { requiredKeys: ["id", "result"] },
      ),
    }),
    fc.record({
      ...base,
      kind: fc.constant("reasoning"),
      payload: fc.record(
        {
          text,
          summary: fc.array(text, { maxLength: 3 }),
          encryptedContent: fc.base64String(),
          signature: fc.string(),
          itemId: fc.string(),
          redacted: fc.boolean(),
          // an unknown provider field: must survive
          providerExtra: jsonValue,
        },
        { requiredKeys: [] },
      ),
    }),
    fc.record({
      ...base,
      kind: fc.constant("other"),
      payload: fc.record({ type: fc.string(), data: jsonValue }),
    }),
  ) as fc.Arbitrary<Block>;
}

const turnArbitrary: fc.Arbitrary<Turn> = fc.record({
  id: fc.uuid(),
  blocks: fc.array(blockArbitrary(), { maxLength: 8 }),
  metadata,
  data: metadata,
});

/** JSON equality: what a round trip must preserve (-0 is JSON's 0). */
function normalized(turn: Turn): unknown {
  return JSON.parse(JSON.stringify(turn));
}

describe("turn serialization", () => {
  it("round trips any turn through JSON losslessly", () => {
    fc.assert(
      fc.property(turnArbitrary, (turn) => {
        expect(normalized(turnFromJson(turnToJson(turn)))).toEqual(normalized(turn));
      }),
      { numRuns: 300 },
    );
  });

  it("round trips any turn through YAML losslessly", () => {
    fc.assert(
      fc.property(turnArbitrary, (turn) => {
        expect(normalized(turnFromYaml(turnToYaml(turn)))).toEqual(normalized(turn));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a __proto__ key as data, not as a prototype", () => {
    const text =
      '{"format":"geppetto.turn/v1","id":"t","blocks":[{"id":"c","kind":"tool_call","payload":{"id":"1","name":"f","args":{"__proto__":{"polluted":true}}},"metadata":{}}]}';
    const turn = turnFromJson(text);
    const args = (turn.blocks[0]!.payload as { args: object }).args;
    expect(Object.keys(args)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
    expect(JSON.parse(turnToJson(turn)).blocks[0].payload.args).toEqual(
      JSON.parse('{"__proto__":{"polluted":true}}'),
    );
    expect(normalized(turnFromYaml(turnToYaml(turn)))).toEqual(normalized(turn));
  });

  it("writes a versioned format tag", () => {
    const turn: Turn = { id: "t1", blocks: [], metadata: {}, data: {} };
    expect(JSON.parse(turnToJson(turn)).format).toBe("geppetto.turn/v1");
    expect(turnToYaml(turn)).toContain("format: geppetto.turn/v1");
  });

  it("names the path of what is wrong inside the document", () => {
    const document = {
      format: "geppetto.turn/v1",
      id: "t1",
      blocks: [
        { id: "a", kind: "user", payload: { text: "hi" }, metadata: {} },
        { id: "b", kind: "llm_text", payload: { text: "hello" }, metadata: {} },
        { id: "c", kind: "llm_text", payload: { text: "more" }, metadata: {} },
        {
          id: "d",
          kind: "tool_call",
          payload: { id: "call_1", name: "f", args: "not an object" },
          metadata: {},
        },
      ],
      metadata: {},
      data: {},
    };
    expect(() => turnFromJson(JSON.stringify(document), "saved.json")).toThrow(
      /saved\.json: invalid turn: blocks\[3\]\.payload\.args: expected object, got string/,
    );
    try {
      turnFromJson(JSON.stringify(document));
    } catch (error) {
      expect(error).toBeInstanceOf(TurnFormatError);
      expect((error as TurnFormatError).issues[0]?.path).toBe("blocks[3].payload.args");
    }
  });

  it("rejects an unknown block kind, a wrong format tag, and text that is not YAML", () => {
    const bad = { format: "geppetto.turn/v1", id: "t", blocks: [{ id: "x", kind: "nope", payload: {} }] };
    expect(() => turnFromJson(JSON.stringify(bad))).toThrow(/blocks\[0\]\.kind/);
    expect(() => turnFromJson(JSON.stringify({ format: "other/v9", id: "t", blocks: [] }))).toThrow(/format/);
    expect(() => turnFromYaml("a: [unclosed", "turn.yaml")).toThrow(/turn\.yaml: not YAML/);
    expect(() => turnFromJson("{", "turn.json")).toThrow(/turn\.json: not JSON/);
  });

  it("keeps unknown provider fields on payloads and blocks", () => {
    const document = {
      format: "geppetto.turn/v1",
      id: "t",
      blocks: [
        {
          id: "r",
          kind: "reasoning",
          payload: { text: "hmm", futureField: { a: 1 } },
          metadata: { "vendor.thing@v1": [1, 2] },
          futureBlockField: "kept",
        },
      ],
    };
    const turn = turnFromJson(JSON.stringify(document));
    const block = turn.blocks[0] as unknown as Record<string, unknown>;
    expect((block.payload as Record<string, unknown>).futureField).toEqual({ a: 1 });
    expect(block.futureBlockField).toBe("kept");
    expect(JSON.parse(turnToJson(turn)).blocks[0].payload.futureField).toEqual({ a: 1 });
  });

  it("still loads the frozen v1 fixture", () => {
    const yaml = readFileSync(new URL("./__fixtures__/turn-v1.yaml", import.meta.url), "utf8");
    const turn = turnFromYaml(yaml, "turn-v1.yaml");
    expect(turn.blocks.map((block) => block.kind)).toEqual([
      "system",
      "user",
      "reasoning",
      "llm_text",
      "tool_call",
      "tool_use",
      "other",
    ]);
    const reasoning = turn.blocks[2];
    expect(reasoning?.kind === "reasoning" && reasoning.payload.signature).toBe("EqQBCkgIARABGAIiQL");
  });
});
