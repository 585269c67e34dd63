import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../cli/usage.ts";
import { EngineBuilder } from "../session/engine-builder.ts";
import { calculatorTool } from "../tools/demo.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { keyId, turnDataKey } from "../turns/keys.ts";
import { turnFromJson } from "../turns/serialization.ts";
import { GeppettoError, type GeppettoErrorCode } from "./errors.ts";

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("every error geppetto throws is a GeppettoError with a stable code", () => {
  const cases: [string, () => unknown, GeppettoErrorCode][] = [
    ["a bad key name", () => keyId("app", "Bad Name", 1), "invalid_key"],
    [
      "a key value that breaks its schema",
      () => {
        const key = turnDataKey<number>("app", "count", 1, {
          safeParse: (value: unknown) =>
            typeof value === "number"
              ? { success: true as const, data: value }
              : { success: false as const, error: { issues: [{ path: [], message: "not a number" }] } },
        } as never);
        return key.get({ id: "t", blocks: [], metadata: {}, data: { [key.id]: "x" } });
      },
      "invalid_key_value",
    ],
    [
      "a value that is not JSON",
      () =>
        turnDataKey<unknown>("app", "fn", 1).set({ id: "t", blocks: [], metadata: {}, data: {} }, () => 1),
      "not_json",
    ],
    ["a document that is not a Turn", () => turnFromJson('{"blocks": 3}'), "invalid_turn_format"],
    ["an unknown command-line flag", () => parseCommandLine(["--nope"], {}), "usage"],
    [
      "a tool registered twice",
      () => new ToolRegistry([calculatorTool, calculatorTool]),
      "tool_already_registered",
    ],
    ["a builder without an engine", () => new EngineBuilder().engine(), "missing_base_engine"],
  ];
  for (const [what, run, code] of cases) {
    it(what, () => {
      const error = thrown(run);
      expect(GeppettoError.is(error)).toBe(true);
      expect((error as GeppettoError).code).toBe(code);
      expect((error as GeppettoError).fault).toBe("caller");
    });
  }
});
