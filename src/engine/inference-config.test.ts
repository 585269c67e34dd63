import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newTurn } from "../turns/builders.ts";
import {
  engineConfigChecks,
  engineConfigSchemas,
  KeyInferenceConfig,
  mergeConfig,
  resolveInferenceConfig,
} from "./inference-config.ts";
import { KeyStructuredOutputConfig, resolveStructuredOutput } from "./structured-output.ts";

describe("InferenceConfig resolution", () => {
  it("merges per field: Turn.data > engine defaults > chat settings", () => {
    const turn = KeyInferenceConfig.set(newTurn(), { thinkingBudget: 2048 });
    const resolved = resolveInferenceConfig(
      turn,
      { temperature: 0.3, thinkingBudget: 512 },
      { temperature: 1, topP: 0.9 },
    );
    // the Go version would drop temperature and topP here (whole-object replacement)
    expect(resolved).toEqual({ thinkingBudget: 2048, temperature: 0.3, topP: 0.9 });
  });

  it("skips undefined layers and fields", () => {
    expect(mergeConfig<{ a?: number; b?: number }>(undefined, { a: 1 }, { a: 2, b: 3 })).toEqual({
      a: 1,
      b: 3,
    });
  });

  it("rejects an invalid per-turn config with the key and field named", () => {
    const turn = { ...newTurn(), data: { "geppetto.inference_config@v1": { temperature: 7 } } };
    expect(() => resolveInferenceConfig(turn)).toThrow(/geppetto\.inference_config@v1"\]\.temperature/);
  });
});

describe("structured output config", () => {
  const schema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };

  it("takes the turn's config over the engine default", () => {
    const turn = KeyStructuredOutputConfig.set(newTurn(), { name: "person", schema });
    expect(resolveStructuredOutput(turn, { name: "other", schema }).config?.name).toBe("person");
    expect(resolveStructuredOutput(newTurn(), { name: "other", schema }).config?.name).toBe("other");
    expect(resolveStructuredOutput(newTurn())).toEqual({});
  });

  it("fails an invalid config when requireValid, and reports it as ignored otherwise", () => {
    const bad = { name: "has spaces", schema: { type: "array" } };
    expect(() => resolveStructuredOutput(newTurn(), { ...bad, requireValid: true })).toThrow(
      /name "has spaces".*schema\.type/,
    );
    const { config, ignored } = resolveStructuredOutput(newTurn(), bad);
    expect(config).toBeUndefined();
    expect(ignored?.problems).toHaveLength(2);
  });
});

describe("the per-turn keys' zod-free checks", () => {
  const field = fc.oneof(
    fc.integer({ min: -5, max: 300 }),
    fc.double({ min: -3, max: 3, noNaN: true }),
    fc.boolean(),
    fc.constantFrom("auto", "none", "required", "low", "high", "xhigh", "concise", "x"),
    fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.record({ name: fc.oneof(fc.string({ maxLength: 3 }), fc.integer()) }),
    fc.dictionary(fc.constantFrom("12", "50256", "x"), fc.integer({ min: -150, max: 150 }), {
      minKeys: 1,
      maxKeys: 2,
    }),
    fc.constant(null),
  );
  const names = [
    ...Object.keys(engineConfigSchemas().inferenceConfig.shape),
    ...Object.keys(engineConfigSchemas().claudeInferenceConfig.shape),
    ...Object.keys(engineConfigSchemas().openaiInferenceConfig.shape),
    ...Object.keys(engineConfigSchemas().toolConfig.shape),
    "unknownField",
  ];
  const value = fc.dictionary(fc.constantFrom(...names), field, { maxKeys: 4 });

  for (const name of [
    "inferenceConfig",
    "claudeInferenceConfig",
    "openaiInferenceConfig",
    "toolConfig",
  ] as const) {
    it(`${name} accepts and rejects exactly what its zod schema does`, () => {
      fc.assert(
        fc.property(fc.oneof(value, field), (input) => {
          const zod = engineConfigSchemas()[name].safeParse(input);
          const mine = engineConfigChecks[name].validate(input);
          expect(mine.ok).toBe(zod.success);
          if (mine.ok && zod.success) expect(mine.value).toEqual(zod.data);
          if (!mine.ok && !zod.success) {
            const zodPath = zod.error.issues[0]!.path.join(".");
            const paths = mine.issues.map((issue) => issue.path.replace(/\[(\d+)\]/g, ".$1"));
            expect(paths.some((path) => path.startsWith(zodPath))).toBe(true);
          }
        }),
        { numRuns: 500 },
      );
    });
  }
});
