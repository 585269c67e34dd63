import { describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../events/context.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import { KeyInferenceResult, runInferenceWithResult } from "./engine.ts";
import { ModelOutputError } from "./errors.ts";
import { validateJsonSchema } from "./json-schema-validation.ts";
import { KeyStructuredOutputConfig, type StructuredOutputConfig } from "./structured-output.ts";

const schema = {
  type: "object",
  properties: { answer: { type: "integer", minimum: 0 }, unit: { enum: ["m", "s"] } },
  required: ["answer"],
  additionalProperties: false,
};
const turnWith = (config: StructuredOutputConfig) =>
  KeyStructuredOutputConfig.set(newTurn([newUserTextBlock("q")]), config);

describe("validateJsonSchema", () => {
  it("compares enum, const and uniqueItems values as JSON, whatever their key order", () => {
    expect(validateJsonSchema({ a: 1, b: 2 }, { const: { b: 2, a: 1 } })).toEqual([]);
    expect(validateJsonSchema({ a: 1, b: [2] }, { enum: [{ b: [2], a: 1 }] })).toEqual([]);
    expect(validateJsonSchema({ a: 1 }, { const: { a: 1, b: 2 } })).toHaveLength(1);
    expect(
      validateJsonSchema(
        [
          { a: 1, b: 2 },
          { b: 2, a: 1 },
        ],
        { uniqueItems: true },
      ),
    ).toEqual([{ path: "$", message: "items must be unique" }]);
  });

  it("reports each problem with its path", () => {
    expect(validateJsonSchema({ answer: -1, unit: "kg", extra: 1 }, schema)).toEqual([
      { path: "$.answer", message: "must be >= 0" },
      { path: "$.unit", message: 'must be one of ["m","s"]' },
      { path: "$.extra", message: "is not an allowed property" },
    ]);
    expect(validateJsonSchema([1, "a"], { type: "array", items: { type: "number" }, minItems: 3 })).toEqual([
      { path: "$", message: "must have at least 3 items" },
      { path: "$[1]", message: "expected number, got string" },
    ]);
    expect(validateJsonSchema(null, { anyOf: [{ type: "string" }, { type: "null" }] })).toEqual([]);
    expect(
      validateJsonSchema(
        { p: { x: "1" } },
        {
          properties: { p: { $ref: "#/$defs/point" } },
          $defs: { point: { properties: { x: { type: "number" } } } },
        },
      ),
    ).toEqual([{ path: "$.p.x", message: "expected number, got string" }]);
  });
});

describe("runInferenceWithResult with structured output", () => {
  it("marks a valid answer valid", async () => {
    const engine = new ScriptedEngine([script.text('{"answer": 42, "unit": "m"}')]);
    const { result } = await runInferenceWithResult(
      engine,
      turnWith({ name: "a", schema }),
      RunContext.background(),
    );
    expect(result.structuredOutput).toEqual({ valid: true });
  });

  it("warns and flags an invalid answer by default", async () => {
    const sink = new CollectingSink();
    const engine = new ScriptedEngine([script.text('{"answer": "many"}')]);
    const { turn, result } = await runInferenceWithResult(
      engine,
      turnWith({ name: "a", schema }),
      RunContext.background().withSinks(sink),
    );
    expect(result.structuredOutput).toEqual({
      valid: false,
      error: 'answer breaks schema "a": $.answer: expected integer, got string',
      issues: [{ path: "$.answer", message: "expected integer, got string" }],
    });
    expect(KeyInferenceResult.get(turn)?.structuredOutput?.valid).toBe(false);
    expect(sink.ofType("log")[0]).toMatchObject({
      level: "warn",
      message: expect.stringContaining("structured output is invalid"),
    });
  });

  it("throws a typed ModelOutputError with requireValid, keeping the Turn", async () => {
    const engine = new ScriptedEngine([script.text("not json")]);
    const error = await runInferenceWithResult(
      engine,
      newTurn([newUserTextBlock("q")]),
      RunContext.background(),
      {
        structuredOutput: { name: "a", schema, requireValid: true },
      },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelOutputError);
    expect((error as ModelOutputError).code).toBe("invalid_structured_output");
    expect((error as ModelOutputError).message).toMatch(/^answer is not JSON/);
    expect((error as ModelOutputError).turn?.blocks).toHaveLength(2);
  });

  it("accepts an answer inside a json code fence, and does not check interrupted answers", async () => {
    const fenced = new ScriptedEngine([script.text('```json\n{"answer": 1}\n```')]);
    const { result } = await runInferenceWithResult(
      fenced,
      turnWith({ name: "a", schema }),
      RunContext.background(),
    );
    expect(result.structuredOutput).toEqual({ valid: true });
    const controller = new AbortController();
    controller.abort();
    const cut = new ScriptedEngine([script.text('{"ans')]);
    const interrupted = await runInferenceWithResult(
      cut,
      turnWith({ name: "a", schema, requireValid: true }),
      RunContext.background().withSignal(controller.signal),
    );
    expect(interrupted.result.structuredOutput).toBeUndefined();
  });
});
