import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { KeyInferenceResult } from "../../engine/engine.ts";
import { InferenceOutput } from "../../engine/output.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { PartialArgsAssembler, parseJsonPath } from "../../provider-kit/partial-args.ts";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import type { JsonObject, JsonValue } from "../../turns/json.ts";
import { providerFixturesRoot } from "../test-support.ts";
import { GEMINI_PART_TYPE, KeyGeminiThoughtSignature, KeyGeminiTrailingSignature } from "./descriptor.ts";
import { GeminiStreamHandler } from "./stream.ts";
import { finishReasonName, geminiErrorFields } from "./stream-finish.ts";
import type { GeminiPart, GeminiPartialArg, GeminiResponse } from "./wire.ts";

const FIXTURES = new URL("gemini/", providerFixturesRoot());

function chunks(name: string): GeminiResponse[] {
  return readFileSync(new URL(name, FIXTURES), "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as GeminiResponse);
}

function run(input: GeminiResponse[]) {
  const sink = new CollectingSink();
  const out = new InferenceOutput(
    RunContext.background().withSinks(sink),
    newTurn([newUserTextBlock("hi")]),
    {
      provider: "gemini",
    },
  );
  const handler = new GeminiStreamHandler(out);
  out.start();
  for (const chunk of input) handler.handle(chunk);
  handler.end();
  const turn = out.finish();
  return { turn, sink, handler, result: KeyInferenceResult.get(turn)!, output: turn.blocks.slice(1) };
}

const chunkOf = (parts: GeminiPart[], finishReason?: string | number): GeminiResponse => ({
  candidates: [
    { content: { role: "model", parts }, ...(finishReason === undefined ? {} : { finishReason }) },
  ],
  responseId: "resp",
});

describe("GeminiStreamHandler (fixture chunks fed directly)", () => {
  it("stream-function-call-partial-args: two streamed calls, deltas that join into the arguments", () => {
    const { output, sink, result } = run(chunks("stream-function-call-partial-args.chunks.txt"));
    expect(output.map((block) => block.kind)).toEqual(["tool_call", "tool_call"]);
    expect(output.map((block) => block.payload)).toEqual([
      { id: "gemini_dqHOab6xGLzWodAPkPuViA4_0", name: "getWeather", args: { location: "Boston" } },
      { id: "gemini_dqHOab6xGLzWodAPkPuViA4_1", name: "getWeather", args: { location: "San Francisco" } },
    ]);
    const deltas = sink.ofType("tool-call-arguments-delta");
    expect(deltas.map((event) => [event.index, event.delta])).toEqual([
      [0, '{"location":"Boston'],
      [0, '"'],
      [0, "}"],
      [1, '{"location":"San Francisco'],
      [1, '"'],
      [1, "}"],
    ]);
    expect(sink.ofType("tool-call")).toHaveLength(2);
    expect(result.finishClass).toBe("tool_calls_pending");
  });

  it("stream-text: the empty final part's signature goes on the text block as trailing", () => {
    const { output } = run(chunks("stream-text.chunks.txt"));
    expect(output).toHaveLength(1);
    expect(KeyGeminiTrailingSignature.get(output[0]!)).toMatch(/^EqsF/);
    expect(KeyGeminiThoughtSignature.has(output[0]!)).toBe(false);
  });
});

describe("GeminiStreamHandler (edge cases)", () => {
  it("starts a new text block when a second signed text part arrives", () => {
    const { output } = run([
      chunkOf([{ text: "A", thoughtSignature: "s1" }]),
      chunkOf([{ text: "B" }]),
      chunkOf([{ text: "C", thoughtSignature: "s2" }], "STOP"),
    ]);
    expect(output.map((block) => [block.payload, KeyGeminiThoughtSignature.get(block)])).toEqual([
      [{ text: "AB" }, "s1"],
      [{ text: "C" }, "s2"],
    ]);
  });

  it("keeps thought signatures on reasoning, unknown parts as gemini.part, a lone signature as a part", () => {
    const code = { executableCode: { language: "PYTHON", code: "print(1)" } };
    const { output } = run([
      chunkOf([{ text: "", thoughtSignature: "lone" }]),
      chunkOf([{ text: "hmm", thought: true, thoughtSignature: "t1" }]),
      chunkOf([code as GeminiPart], 1),
    ]);
    expect(output.map((block) => [block.kind, block.payload])).toEqual([
      ["other", { type: GEMINI_PART_TYPE, data: { text: "", thoughtSignature: "lone" } }],
      ["reasoning", { text: "hmm", signature: "t1" }],
      ["other", { type: GEMINI_PART_TYPE, data: code }],
    ]);
  });

  it("maps integer finish reasons, and prompt blocks without candidates", () => {
    expect(finishReasonName(1)).toBe("STOP");
    expect(finishReasonName(2)).toBe("MAX_TOKENS");
    expect(finishReasonName(10)).toBe("MALFORMED_FUNCTION_CALL");
    expect(finishReasonName(99)).toBe("FINISH_REASON_99");
    expect(run([chunkOf([{ text: "x" }], 2)]).result).toMatchObject({
      stopReason: "MAX_TOKENS",
      finishClass: "max_tokens",
    });
    const blocked = run([{ promptFeedback: { blockReason: "SAFETY" } }]);
    expect(blocked.handler.finishReason).toBe("PROMPT_BLOCKED_SAFETY");
    expect(blocked.result.finishClass).toBe("unknown");
    expect(blocked.sink.ofType("log")[0]?.message).toMatch(/blocked the prompt/);
  });

  it("throws a ProviderError for an error chunk", () => {
    const out = new InferenceOutput(RunContext.background(), newTurn([]), { provider: "gemini" });
    const handler = new GeminiStreamHandler(out);
    expect(() =>
      handler.handle({ error: { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED" } }),
    ).toThrow(/gemini stream error 429 \(RESOURCE_EXHAUSTED\): quota/);
  });

  it("reads google.rpc details into error fields", () => {
    expect(
      geminiErrorFields([
        {
          error: {
            code: 400,
            message: "API key not valid.",
            status: "INVALID_ARGUMENT",
            details: [
              { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" },
              {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                fieldViolations: [{ field: "contents" }],
              },
            ],
          },
        },
      ]),
    ).toEqual({
      message: "API key not valid.",
      type: "INVALID_ARGUMENT",
      code: "API_KEY_INVALID",
      param: "contents",
    });
  });
});

describe("partial arguments", () => {
  it("parses JSON paths", () => {
    expect(parseJsonPath("$.items[0].name")).toEqual(["items", 0, "name"]);
    expect(parseJsonPath("$['a b'].c")).toEqual(["a b", "c"]);
    expect(() => parseJsonPath("items")).toThrow(/must start with \$/);
  });

  it("assembles nested values and emits JSON prefixes in order", () => {
    const assembler = new PartialArgsAssembler();
    const deltas = [
      assembler.apply({ jsonPath: "$.query", stringValue: "cats ", willContinue: true }),
      assembler.apply({ jsonPath: "$.query", stringValue: "and dogs" }),
      assembler.apply({ jsonPath: "$.filters[0].year", numberValue: 2024 }),
      assembler.apply({ jsonPath: "$.strict", boolValue: true }),
    ];
    const { text, rest } = assembler.finish();
    expect(assembler.args).toEqual({ query: "cats and dogs", filters: [{ year: 2024 }], strict: true });
    expect(deltas.join("") + rest).toBe(text);
    expect(JSON.parse(text)).toEqual(assembler.args);
  });

  it("escapes streamed pieces exactly as JSON.stringify does", () => {
    const assembler = new PartialArgsAssembler();
    const pieces = ['say "hi"', "\n\\ tab\t", "😀 é", "end"];
    const deltas = pieces.map((stringValue, index) =>
      assembler.apply({ jsonPath: "$.text", stringValue, willContinue: index < pieces.length - 1 }),
    );
    const { text, rest } = assembler.finish();
    expect(deltas.join("") + rest).toBe(text);
    expect(JSON.parse(text)).toEqual({ text: pieces.join("") });
  });

  it("pauses deltas when values arrive out of order, still assembling the object", () => {
    const assembler = new PartialArgsAssembler();
    assembler.apply({ jsonPath: "$.a", stringValue: "1", willContinue: true });
    assembler.apply({ jsonPath: "$.b", stringValue: "2" });
    expect(assembler.apply({ jsonPath: "$.a", stringValue: "3" })).toBe("");
    expect(assembler.finish().rest).toBe("");
    expect(assembler.args).toEqual({ a: "13", b: "2" });
  });

  it("keeps a surrogate pair split across pieces whole, as JSON.stringify writes it", () => {
    const assembler = new PartialArgsAssembler();
    const emoji = "😀";
    const deltas = [
      assembler.apply({ jsonPath: "$.text", stringValue: `a${emoji[0]}`, willContinue: true }),
      assembler.apply({ jsonPath: "$.text", stringValue: `${emoji[1]}b` }),
    ];
    const { text, rest } = assembler.finish();
    expect(text).toBe(JSON.stringify({ text: `a${emoji}b` }));
    expect(deltas.join("") + rest).toBe(text);
  });

  it("streams documents in order: deltas join into JSON.stringify(args) for nested values and odd keys", () => {
    const documents: JsonObject[] = [
      { a: "x", b: [1, "two", { c: null, d: [true, false] }], e: { f: { g: "deep" } }, h: 3.5 },
      { "1": "index-like first", z: "then a name", q: [[1, 2], [3]], "a b": "spaced" },
      JSON.parse('{"list":[{"name":"one"},{"name":"two 😀 \\"quoted\\""}],"__proto__":"own","empty":""}'),
    ];
    for (const document of documents) {
      const partials = streamedInOrder(document);
      const assembler = new PartialArgsAssembler();
      const deltas = partials.map((partial) => assembler.apply(partial));
      const { text, rest } = assembler.finish();
      expect(text).toBe(JSON.stringify(document));
      expect(deltas.join("") + rest).toBe(text);
      expect(deltas.every((delta) => delta.length > 0)).toBe(true);
    }
  });

  it("serializes each value once: many paths cost linear text, not a whole serialization per path", () => {
    const assembler = new PartialArgsAssembler();
    let serialized = 0;
    const stringify = vi.spyOn(JSON, "stringify").mockImplementation((...args) => {
      const text = originalStringify(...args);
      serialized += text?.length ?? 0;
      return text;
    });
    try {
      for (let index = 0; index < 2000; index++) {
        assembler.apply({ jsonPath: `$.items[${index}].value`, numberValue: index });
      }
    } finally {
      stringify.mockRestore();
    }
    const { text, rest } = assembler.finish();
    expect(text.endsWith(rest)).toBe(true);
    expect(serialized).toBeLessThan(text.length * 2);
  });
});

const originalStringify = JSON.stringify;

/** The partialArgs Gemini would stream for a document, in document order, strings in 3-character pieces. */
function streamedInOrder(document: JsonObject): GeminiPartialArg[] {
  const partials: GeminiPartialArg[] = [];
  const visit = (value: JsonValue, path: string): void => {
    if (typeof value === "string") {
      const pieces = value.match(/[\s\S]{1,3}/g) ?? [""];
      pieces.forEach((stringValue, index) => {
        partials.push({
          jsonPath: path,
          stringValue,
          ...(index < pieces.length - 1 ? { willContinue: true } : {}),
        });
      });
    } else if (typeof value === "number") partials.push({ jsonPath: path, numberValue: value });
    else if (typeof value === "boolean") partials.push({ jsonPath: path, boolValue: value });
    else if (value === null) partials.push({ jsonPath: path, nullValue: null });
    else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) visit(item, `${path}[${index}]`);
    } else {
      const keys = Object.keys(value);
      for (const key of keys) visit(value[key]!, `${path}['${key.replaceAll("'", "\\'")}']`);
    }
  };
  visit(document, "$");
  return partials;
}
