import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { ToolCatalogKey, toolsFromContext } from "../engine/tools.ts";
import { RunContext } from "../events/context.ts";
import { defineTool } from "./define-tool.ts";
import { calculatorTool, createTimeTool, evaluateExpression } from "./demo.ts";
import { compileForDialect } from "./dialects.ts";
import type { StandardSchemaV1 } from "./input-schema.ts";
import { ToolRegistry, withToolRegistry } from "./registry.ts";

const context = { signal: new AbortController().signal, toolCallId: "c1", ctx: RunContext.background() };

const weather = defineTool({
  name: "get_weather",
  description: "Weather for a city",
  input: z.object({ city: z.string(), unit: z.enum(["c", "f"]).optional() }),
  execute: ({ city, unit }) => ({ city, unit: unit ?? "c", temperature: 21 }),
});

describe("defineTool", () => {
  it("accepts an output schema of any type, JSON schema or zod, and checks results with it", async () => {
    const count = defineTool({
      name: "count",
      description: "Counts",
      input: { type: "object", properties: {} },
      output: { type: "number", minimum: 0 },
      execute: () => 3,
    });
    expect(await count.validateOutput(3)).toEqual({ ok: true, value: 3 });
    const negative = await count.validateOutput(-1);
    expect(negative.ok).toBe(false);
    const names = defineTool({
      name: "names",
      description: "Lists names",
      input: z.object({}),
      output: z.array(z.string()),
      execute: () => ["a"],
    });
    expect((await names.validateOutput([1])).ok).toBe(false);
    // inputs must still describe an object: tool arguments always are one
    expect(() =>
      defineTool({
        name: "bad",
        description: "x",
        input: { type: "number" } as unknown as { type: "object" },
        execute: () => 1,
      }),
    ).toThrow(/input JSON schema must have type "object"/);
  });

  it("infers the argument type from a zod schema and validates with its messages", async () => {
    expectTypeOf<Parameters<typeof weather.execute>[0]>().toEqualTypeOf<{
      city: string;
      unit?: "c" | "f" | undefined;
    }>();
    expect(await weather.validateInput({ city: "Paris" })).toEqual({ ok: true, value: { city: "Paris" } });
    const bad = await weather.validateInput({ city: 3 });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.issues[0]?.path).toBe("$.city");
    expect(!bad.ok && bad.issues[0]?.message).toMatch(/expected string/);
  });

  it("accepts a plain JSON schema and validates against it", async () => {
    const tool = defineTool({
      name: "add",
      description: "Adds",
      input: {
        type: "object",
        properties: { a: { type: "number" }, b: { type: "number" } },
        required: ["a", "b"],
      },
      execute: (args) => (args.a as number) + (args.b as number),
    });
    expect(await tool.validateInput({ a: 1 })).toEqual({
      ok: false,
      issues: [{ path: "$.b", message: "is required" }],
    });
    expect(await tool.execute({ a: 1, b: 2 }, context)).toBe(3);
  });

  it("accepts any Standard Schema (with a JSON schema given for the model)", async () => {
    const positive: StandardSchemaV1<unknown, { n: number }> = {
      "~standard": {
        version: 1,
        vendor: "hand-made",
        validate: (value) =>
          typeof (value as { n?: unknown })?.n === "number" && (value as { n: number }).n > 0
            ? { value: value as { n: number } }
            : { issues: [{ message: "n must be a positive number", path: ["n"] }] },
      },
    };
    const tool = defineTool({
      name: "square",
      description: "Squares",
      input: positive,
      jsonSchema: { type: "object", properties: { n: { type: "number" } }, required: ["n"] },
      execute: ({ n }) => n * n,
    });
    expectTypeOf<Parameters<typeof tool.execute>[0]>().toEqualTypeOf<{ n: number }>();
    expect(await tool.validateInput({ n: -1 })).toEqual({
      ok: false,
      issues: [{ path: "$.n", message: "n must be a positive number" }],
    });
    expect(() => defineTool({ name: "x", description: "", input: positive, execute: () => 1 })).toThrow(
      /hand-made schema offers no JSON schema/,
    );
  });

  it("rejects names providers refuse", () => {
    expect(() =>
      defineTool({ name: "bad name", description: "", input: z.object({}), execute: () => 1 }),
    ).toThrow(/tool name "bad name"/);
  });
});

describe("schemas per dialect", () => {
  it("openai-strict requires every property, makes optional ones nullable, forbids extra properties", () => {
    const schema = weather.parametersFor("openai-strict");
    expect(schema).toMatchObject({
      type: "object",
      required: ["city", "unit"],
      additionalProperties: false,
      properties: { city: { type: "string" }, unit: { type: ["string", "null"], enum: ["c", "f", null] } },
    });
  });

  it("gemini keeps only the keywords it accepts and turns null unions into nullable", () => {
    const compiled = compileForDialect(
      {
        $schema: "x",
        type: "object",
        additionalProperties: false,
        properties: {
          mode: { const: "fast" },
          note: { anyOf: [{ type: "string" }, { type: "null" }] },
          ref: { $ref: "#/$defs/point" },
        },
        $defs: { point: { type: "object", properties: { x: { type: ["number", "null"] } } } },
      },
      "gemini",
    );
    expect(compiled).toEqual({
      type: "object",
      properties: {
        mode: { enum: ["fast"] },
        note: { type: "string", nullable: true },
        ref: { type: "object", properties: { x: { type: "number", nullable: true } } },
      },
    });
  });

  it("compiles each dialect once", () => {
    expect(weather.parametersFor("gemini")).toBe(weather.parametersFor("gemini"));
  });
});

describe("ToolRegistry", () => {
  it("registers, lists, clones, merges, unregisters, and is the context's tool catalog", () => {
    const registry = new ToolRegistry([weather]);
    expect(() => registry.register(weather)).toThrow(/already registered/);
    const other = new ToolRegistry([calculatorTool]);
    const merged = registry.merge(other);
    expect(merged.list().map((tool) => tool.name)).toEqual(["get_weather", "calculator"]);
    const copy = merged.clone();
    expect(copy.unregister("calculator")).toBe(true);
    expect(merged.has("calculator")).toBe(true);
    const ctx = withToolRegistry(RunContext.background(), merged);
    expect(ctx.get(ToolCatalogKey)).toBe(merged);
    const tools = toolsFromContext(ctx, "openai-strict");
    expect(tools.map((tool) => [tool.name, tool.strict])).toEqual([
      ["get_weather", true],
      ["calculator", true],
    ]);
  });
});

describe("demo tools", () => {
  it("evaluates arithmetic without eval", () => {
    expect(evaluateExpression("2 * (3 + 4) ^ 2")).toBe(98);
    expect(evaluateExpression("-3 + sqrt(16) % 3")).toBe(-2);
    expect(evaluateExpression("2 ** 3 ** 2")).toBe(512);
    expect(() => evaluateExpression("process.exit(1)")).toThrow(/unexpected/);
    expect(() => evaluateExpression("1 / 0")).toThrow(/no finite value/);
    expect(() => evaluateExpression("(1 + 2")).toThrow(/expected "\)"/);
  });

  it("calculator and time tools answer", async () => {
    expect(await calculatorTool.execute({ expression: "6*7" }, context)).toEqual({
      expression: "6*7",
      result: 42,
    });
    const time = createTimeTool(() => new Date("2026-01-02T03:04:05Z"));
    expect(await time.execute({ timeZone: "Europe/Paris" }, context)).toMatchObject({
      iso: "2026-01-02T03:04:05.000Z",
      timeZone: "Europe/Paris",
    });
  });
});
