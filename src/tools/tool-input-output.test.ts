/**
 * Tools refuse what no provider accepts: results that are not JSON become error results naming the tool and the
 * path, and bad input schemas fail at defineTool with the path of the problem.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CallerError } from "../engine/errors.ts";
import { RunContext } from "../events/context.ts";
import { defineTool } from "./define-tool.ts";
import { executeToolCalls } from "./executor.ts";
import { jsonResultOf } from "./json-result.ts";
import { ToolRegistry } from "./registry.ts";

async function runReturning(value: () => unknown) {
  const tool = defineTool({
    name: "report",
    description: "returns a value",
    input: z.object({}),
    execute: value,
  });
  const { results } = await executeToolCalls(
    [{ id: "call_1", name: "report", args: {} }],
    RunContext.background(),
    {
      registry: new ToolRegistry().register(tool),
    },
  );
  return results[0]!;
}

describe("tool results that are not JSON", () => {
  const circular: Record<string, unknown> = { name: "loop" };
  circular.self = circular;
  const throwing = {
    ok: 1,
    get broken(): number {
      throw new Error("getter exploded");
    },
  };
  const cases: [string, () => unknown, string][] = [
    ["a BigInt", () => ({ total: { cents: 10n } }), "$.total.cents is a BigInt"],
    ["a circular object", () => circular, "$.self is a circular reference"],
    ["a throwing getter", () => throwing, "$.broken is a getter that threw: getter exploded"],
    ["a function", () => ({ list: [1, () => 2] }), "$.list[1] is a function"],
    ["a function alone", () => () => 3, "$ is a function"],
    ["a Map", () => ({ index: new Map([["a", 1]]) }), "$.index is a Map"],
    ["NaN", () => ({ ratio: Number.NaN }), "$.ratio is NaN (not a finite number)"],
  ];
  it.each(cases)("%s becomes an error result naming the tool and the path", async (_name, value, where) => {
    const result = await runReturning(value);
    expect(result.status).toBe("error");
    expect(result.result).toBeNull();
    expect(result.error).toContain('tool "report" returned a result that is not JSON');
    expect(result.error).toContain(where);
  });

  it("keeps JSON results as JSON.stringify would (toJSON honoured, undefined properties dropped)", async () => {
    const result = await runReturning(() => ({ when: new Date(0), gone: undefined, list: [undefined, 1] }));
    expect(result).toMatchObject({
      status: "ok",
      result: { when: "1970-01-01T00:00:00.000Z", list: [null, 1] },
    });
    expect(jsonResultOf(undefined)).toEqual({ ok: true, value: null });
    expect(jsonResultOf("text")).toEqual({ ok: true, value: "text" });
  });

  it("names keys that are not identifiers in brackets", () => {
    expect(jsonResultOf({ "a b": 1n })).toMatchObject({ ok: false, path: '$["a b"]' });
  });
});

describe("tool input schemas are checked at defineTool", () => {
  const define = (input: unknown) => () =>
    defineTool({ name: "bad", description: "a bad tool", input: input as never, execute: () => null });

  it("refuses a zod schema that is not an object", () => {
    expect(define(z.string())).toThrow(CallerError);
    expect(define(z.string())).toThrow(/tool "bad" input: \$\.type: the input must describe an object/);
  });

  it('refuses type "bogus" with its path', () => {
    const schema = { type: "object", properties: { unit: { type: "bogus" } } };
    expect(define(schema)).toThrow(/\$\.properties\.unit\.type: "bogus" is not a JSON Schema type/);
  });

  it("refuses `required` naming a property that is not declared", () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city", "country"],
    };
    expect(define(schema)).toThrow(/\$\.required: names "country", which is not in \$\.properties/);
  });

  it("checks nested schemas (array items, unions) and gives the code invalid_tool_schema", () => {
    const schema = {
      type: "object",
      properties: { rows: { type: "array", items: { anyOf: [{ type: "string" }, { type: "strng" }] } } },
    };
    const error = (() => {
      try {
        define(schema)();
      } catch (caught) {
        return caught as CallerError;
      }
    })();
    expect(error?.code).toBe("invalid_tool_schema");
    expect(error?.message).toContain('$.properties.rows.items.anyOf[1].type: "strng"');
  });

  it("accepts the schemas zod and plain JSON schema produce for object inputs", () => {
    expect(
      define(z.object({ city: z.string(), unit: z.enum(["c", "f"]).optional(), tags: z.array(z.string()) })),
    ).not.toThrow();
    expect(
      define({ type: "object", properties: { city: { type: ["string", "null"] } }, required: ["city"] }),
    ).not.toThrow();
  });
});
