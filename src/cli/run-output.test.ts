/**
 * What `geppetto run` prints: piped text next to a prompt, JSON lines that carry deltas, the tool trace on
 * stderr, structured output checked, and a closed stdout ending the command quietly.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function cleanEnv(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "geppetto-run-output-"));
  return { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local/share") };
}

const SCHEMA = JSON.stringify({ type: "object", properties: { answer: { type: "string" } } });

describe("geppetto run output", () => {
  it("sends piped text after the prompt, as a fenced block", async () => {
    const io = createTestIO({ env: cleanEnv(), stdin: "print('hi')\n" });
    expect(await main(["run", "-o", "json", "explain this"], io)).toBe(0);
    const user = turnFromJson(io.out).blocks[0];
    expect(user).toMatchObject({ kind: "user", payload: { text: "explain this\n\n```\nprint('hi')\n```" } });
  });

  it("the real command reads a pipe or a file next to its prompt, and leaves /dev/null and a terminal unread", () => {
    const env = { ...process.env, ...cleanEnv(), GEPPETTO_EMBEDDED_PACING_MS: "0" };
    const bin = `${JSON.stringify(process.execPath)} bin/geppetto.js run -o json "explain this"`;
    const userText = (script: string) => {
      const shell = spawnSync("bash", ["-c", script], { cwd: root, env, encoding: "utf8" });
      expect(shell.status, shell.stderr).toBe(0);
      return turnFromJson(shell.stdout).blocks[0]?.payload;
    };
    expect(userText(`printf 'print(1)\\n' | ${bin}`)).toEqual({ text: "explain this\n\n```\nprint(1)\n```" });
    expect(userText(`${bin} < package.json`)).toMatchObject({
      text: expect.stringContaining('"name": "geppetto"'),
    });
    expect(userText(`${bin} < /dev/null`)).toEqual({ text: "explain this" });
  });

  it("jsonl text events carry their delta only, durations are whole milliseconds", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--output", "jsonl", "Hello"], io)).toBe(0);
    const lines = io.out.trim().split("\n");
    const events = lines.slice(0, -1).map((line) => JSON.parse(line));
    const partials = events.filter((event) => event.type === "partial");
    expect(partials.length).toBeGreaterThan(3);
    for (const event of partials) expect(event).not.toHaveProperty("completion");
    const final = events.find((event) => event.type === "final");
    expect(partials.map((event) => event.delta).join("")).toBe(final.text);
    const durations = lines.flatMap((line) =>
      Array.from(line.matchAll(/"durationMs":([^,}]+)/g), (m) => m[1]),
    );
    expect(durations.length).toBeGreaterThan(0);
    for (const duration of durations) expect(duration).toMatch(/^\d+$/);
  });

  it("--jsonl-completion adds the answer so far to each text event", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--output", "jsonl", "--jsonl-completion", "Hello"], io)).toBe(0);
    const partials = io.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .filter((event) => event.type === "partial");
    expect(partials.at(-1).completion).toBe(partials.map((event) => event.delta).join(""));
  });

  it("--tools demo writes the tool trace to stderr, the answer alone to stdout", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--tools", "demo", "What is 6 * 7?"], io)).toBe(0);
    expect(io.out).toBe("6 * 7 = 42.\n");
    expect(io.err).toContain('⚙ calculator({"expression":"6 * 7"})');
    expect(io.err).toContain("↳ calculator:");
  });

  it("structured output that must be valid: a non-JSON answer exits 1 naming the problem", async () => {
    const io = createTestIO({ env: cleanEnv() });
    const flags = ["--ai-structured-output-schema", SCHEMA, "--ai-structured-output-require-valid", "true"];
    expect(await main(["run", ...flags, "Hello"], io)).toBe(1);
    expect(io.err).toMatch(/geppetto run: answer is not JSON/);
    expect(io.err).toContain('added "additionalProperties": false to 1 object schema');
  });

  it("structured output that need not be valid: the answer is printed with a warning, exit 0", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--ai-structured-output-schema", SCHEMA, "Hello"], io)).toBe(0);
    expect(io.out).toContain("Hello!");
    expect(io.err).toMatch(/warning: answer is not JSON/);
  });

  it("a strict schema that allows extra properties is refused before the provider (exit 2)", async () => {
    const io = createTestIO({ env: cleanEnv() });
    const open = JSON.stringify({ type: "object", additionalProperties: true });
    expect(await main(["run", "--ai-structured-output-schema", open, "Hello"], io)).toBe(2);
    expect(io.err).toContain(
      "--ai-structured-output-schema.additionalProperties: a strict schema cannot allow",
    );
  });

  it.each([
    ["run", "run hi | head -c 5"],
    ["run --output jsonl", "run --output jsonl hi | head -1"],
  ])("a closed stdout ends %s quietly with exit 0", (_name, command) => {
    const env = { ...process.env, ...cleanEnv(), GEPPETTO_EMBEDDED_PACING_MS: "2" };
    expect(pipedExit(command, env)).toEqual({
      status: 0,
      stderr: expect.not.stringMatching(/EPIPE|\n\s+at /),
    });
  });

  it("a closed stdout ends sessions export quietly with exit 0", async () => {
    const env = cleanEnv();
    const db = join(env.HOME!, "sessions.db");
    // A prompt longer than a pipe's buffer, so the export is still writing when head leaves.
    const chat = createTestIO({ env, stdin: `${"long prompt ".repeat(20_000)}\n` });
    expect(await main(["chat", "--db", db], chat)).toBe(0);
    const piped = pipedExit(`sessions export --last --db ${JSON.stringify(db)} | head -1`, {
      ...process.env,
      ...env,
    });
    expect(piped).toEqual({ status: 0, stderr: "" });
  });
});

/** Runs `geppetto COMMAND` (a shell pipeline) and returns geppetto's own exit status and stderr. */
function pipedExit(command: string, env: NodeJS.ProcessEnv): { status: number; stderr: string } {
  const bin = `${JSON.stringify(process.execPath)} bin/geppetto.js`;
  const script = `${bin} ${command}; exit \${PIPESTATUS[0]}`;
  const shell = spawnSync("bash", ["-c", script], { cwd: root, env, encoding: "utf8" });
  return { status: shell.status ?? -1, stderr: shell.stderr };
}
