import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("README examples", () => {
  it("examples/hello.ts runs and prints the answer and the event types", () => {
    const output = execFileSync(process.execPath, [new URL("./hello.ts", import.meta.url).pathname], {
      encoding: "utf8",
    });
    expect(output).toContain("A framework for LLM applications.");
    expect(output).toContain("finish: completed, events: start partial");
    expect(output).toContain("format: geppetto.turn/v1");
  });
});
