import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { turnFromJson, turnFromYaml } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

/** An environment with no provider configured and no config files of the developer's. */
function cleanEnv(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "geppetto-run-"));
  return { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local/share") };
}

describe("geppetto run", () => {
  it("streams an answer with no key and says it runs on the default, in process with no port opened", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "Hello"], io)).toBe(0);
    expect(io.out).toMatch(/\S/);
    expect(io.out.endsWith("\n")).toBe(true);
    expect(io.err).toMatch(
      /no provider configured: running the OpenAI Chat engine against .* in this process/,
    );
    expect(io.err).toContain("no port opened");
  });

  it("--output json prints a Turn holding the prompt and the answer", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--output", "json", "--system", "Be brief", "Hello"], io)).toBe(0);
    const turn = turnFromJson(io.out);
    expect(turn.blocks.map((block) => block.kind)).toEqual(["system", "user", "llm_text"]);
    expect(turn.blocks[1]).toMatchObject({ payload: { text: "Hello" } });
    expect(turn.blocks[2]?.kind === "llm_text" && turn.blocks[2].payload.text.length).toBeGreaterThan(0);
  });

  it("--output yaml prints the final Turn as YAML; the prompt may come from stdin", async () => {
    const io = createTestIO({ env: cleanEnv(), stdin: "From a pipe\n" });
    expect(await main(["run", "-o", "yaml"], io)).toBe(0);
    const turn = turnFromYaml(io.out);
    expect(turn.blocks[0]).toMatchObject({ kind: "user", payload: { text: "From a pipe" } });
  });

  it("--output jsonl prints start, partial… and final events with increasing seq, then the Turn", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--output", "jsonl", "Hello"], io)).toBe(0);
    const lines = io.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const events = lines.slice(0, -1);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe("start");
    expect(types).toContain("partial");
    expect(types.at(-1)).toBe("final");
    const seqs = events.map((event) => event.meta.seq);
    for (let index = 1; index < seqs.length; index++) expect(seqs[index]).toBeGreaterThan(seqs[index - 1]);
    expect(lines.at(-1).format).toBe("geppetto.turn/v1");
  });

  it("Ctrl-C cancels cleanly: prints the partial Turn and exits 130", async () => {
    // Paced, so the answer is still streaming when Ctrl-C arrives.
    const io = createTestIO({ env: { ...cleanEnv(), GEPPETTO_EMBEDDED_PACING_MS: "5" } });
    let interrupted = false;
    io.onStdout((chunk) => {
      if (!interrupted && chunk.includes('"type":"partial"')) {
        interrupted = true;
        io.interrupt();
      }
    });
    expect(await main(["run", "--output", "jsonl", "Hello"], io)).toBe(130);
    const lines = io.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.type)).toContain("interrupt");
    const turn = lines.at(-1);
    expect(turn.format).toBe("geppetto.turn/v1");
    expect(turn.metadata["geppetto.inference_result@v1"].finishClass).toBe("interrupted");
  });

  it("GEPPETTO_EMBEDDED_PACING_MS paces the local provider server: each word arrives in its own event-loop turn", async () => {
    const io = createTestIO({ env: { ...cleanEnv(), GEPPETTO_EMBEDDED_PACING_MS: "10" } });
    // A marker set after each partial: when the next partial comes, the marker already ran only if the words
    // did not arrive together (an unpaced answer comes in one chunk, all its partials in one go).
    let markerRan = true;
    const arrivedAlone: boolean[] = [];
    io.onStdout((chunk) => {
      if (!chunk.includes('"type":"partial"')) return;
      arrivedAlone.push(markerRan);
      markerRan = false;
      setImmediate(() => {
        markerRan = true;
      });
    });
    expect(await main(["run", "--output", "jsonl", "Hello"], io)).toBe(0);
    expect(arrivedAlone.length).toBeGreaterThan(10);
    expect(arrivedAlone.every(Boolean)).toBe(true);
  });

  it("bad usage exits 2 with a message", async () => {
    for (const argv of [["run", "--output", "xml", "hi"], ["run", "--no-such-flag"], ["run"], ["nope"]]) {
      const io = createTestIO({ env: cleanEnv() });
      expect(await main(argv, io)).toBe(2);
      expect(io.err).toMatch(/geppetto/);
    }
  });

  it("prints help for the CLI and for run", async () => {
    const io = createTestIO();
    expect(await main(["--help"], io)).toBe(0);
    expect(io.out).toContain("run");
    const runHelp = createTestIO();
    expect(await main(["run", "--help"], runHelp)).toBe(0);
    expect(runHelp.out).toContain("Examples:");
  });
});
