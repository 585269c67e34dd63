import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeyToolLoopOutcome } from "../toolloop/loop.ts";
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

function cleanEnv(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "geppetto-run-tools-"));
  return { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local/share") };
}

describe("geppetto run --tools demo", () => {
  it("runs a tool loop on the default: calls the calculator and answers from its result", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--tools", "demo", "--output", "json", "What is 6 * 7?"], io)).toBe(0);
    const turn = turnFromJson(io.out);
    expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "tool_call", "tool_use", "llm_text"]);
    expect(turn.blocks[1]).toMatchObject({ payload: { name: "calculator", args: { expression: "6 * 7" } } });
    expect(turn.blocks[2]).toMatchObject({ payload: { result: { result: 42 } } });
    expect(turn.blocks[3]).toMatchObject({ payload: { text: "6 * 7 = 42." } });
    expect(KeyToolLoopOutcome.get(turn)).toEqual({ status: "completed", iterations: 2 });
  });

  it("calls the time tool when asked for the time, the tool trace on stderr", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--tools", "demo", "What time is it?"], io)).toBe(0);
    expect(io.err).toMatch(/⚙ .*time/);
    expect(io.out).toMatch(/^It is .*\d{4}-\d\d-\d\dT/);
  });

  it("rejects an unknown tool set as bad usage", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--tools", "kitchen-sink", "hi"], io)).toBe(2);
    expect(io.err).toMatch(/--tools: unknown tool set "kitchen-sink" \(known: demo\)/);
  });
});
