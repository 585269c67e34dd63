import { describe, expect, it } from "vitest";
import { newTurn } from "../turns/builders.ts";
import { KeyInferenceConfig, mergeConfig, resolveInferenceConfig } from "./inference-config.ts";
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
