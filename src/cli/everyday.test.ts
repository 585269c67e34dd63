/**
 * The small things of everyday use: --version/-V, "did you mean" for commands and flags, short flags,
 * `--system @file`, `geppetto models` and `geppetto keys` (never printing a key).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { closestName } from "./suggest.ts";
import { createTestIO } from "./test-io.ts";

function cleanEnv(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "geppetto-everyday-"));
  return { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local/share") };
}

describe("everyday CLI", () => {
  it.each(["--version", "-V"])("%s prints the version", async (flag) => {
    const io = createTestIO();
    expect(await main([flag], io)).toBe(0);
    expect(io.out).toBe(`${pkg.version}\n`);
  });

  it("suggests the command meant", async () => {
    const io = createTestIO();
    expect(await main(["sesions", "list"], io)).toBe(2);
    expect(io.err).toContain('unknown command "sesions" (did you mean sessions?)');
  });

  it("suggests the flag meant, in our words", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--sytem", "x", "hi"], io)).toBe(2);
    expect(io.err).toBe("geppetto run: unknown option --sytem (did you mean --system?) (see --help)\n");
    const missing = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "hi", "--output"], missing)).toBe(2);
    expect(missing.err).toBe("geppetto run: --output needs a value\n");
  });

  it("finds close names only", () => {
    expect(closestName("chta", ["run", "chat", "sessions"])).toBe("chat");
    expect(closestName("ses", ["run", "chat", "sessions"])).toBe("sessions");
    expect(closestName("banana", ["run", "chat", "sessions"])).toBeUndefined();
  });

  it("-s takes the system prompt, @FILE reads it from a file; a missing file is bad usage naming it", async () => {
    const env = cleanEnv();
    const file = join(env.HOME!, "system.txt");
    writeFileSync(file, "You answer in haiku.");
    const io = createTestIO({ env });
    expect(await main(["run", "-o", "json", "-s", `@${file}`, "Hello"], io)).toBe(0);
    expect(turnFromJson(io.out).blocks[0]).toMatchObject({
      kind: "system",
      payload: { text: "You answer in haiku." },
    });
    const bad = createTestIO({ env });
    expect(await main(["run", "-s", "@/nonexistent/system.txt", "Hello"], bad)).toBe(2);
    expect(bad.err).toContain(
      "--system @/nonexistent/system.txt: cannot read /nonexistent/system.txt: no such file",
    );
  });

  it("-p picks a profile, -o the output format", async () => {
    const env = cleanEnv();
    const folder = join(env.XDG_CONFIG_HOME!, "geppetto");
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, "profiles.yaml"),
      "profiles:\n  fast:\n    chat: { apiType: openai, engine: gpt-4o-mini, temperature: 0.1 }\n",
    );
    const io = createTestIO({ env });
    expect(await main(["run", "-p", "fast", "--print-settings", "-o", "json"], io)).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({
      settings: { chat: { apiType: "openai", engine: "gpt-4o-mini", temperature: 0.1 } },
    });
  });

  it("models lists the known models with context sizes and prices, the default marked", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["models"], io)).toBe(0);
    expect(io.out).toMatch(/^openai\s+gpt-4o-mini \*\s+128,000\s+\$0\.15\s+\$0\.075\s+\$0\.6$/m);
    expect(io.out).toMatch(/^anthropic\s+claude-sonnet-4-20250514 \*\s+200,000/m);
    const json = createTestIO({ env: cleanEnv() });
    expect(
      await main(["models", "-o", "json", "--ai-api-type", "openai", "--ai-engine", "my-model"], json),
    ).toBe(0);
    expect(JSON.parse(json.out)).toContainEqual({ apiType: "openai", model: "my-model", isDefault: false });
  });

  it("keys says where each key comes from and never prints it", async () => {
    const secret = "sk-test-1234567890abcdef";
    const io = createTestIO({ env: { ...cleanEnv(), OPENAI_API_KEY: secret } });
    expect(await main(["keys"], io)).toBe(0);
    expect(io.out).toMatch(/^openai\s+set, from environment variable OPENAI_API_KEY$/m);
    expect(io.out).toMatch(/^claude\s+not set \(ANTHROPIC_API_KEY/m);
    const json = createTestIO({ env: { ...cleanEnv(), OPENAI_API_KEY: secret } });
    expect(await main(["keys", "--output", "json"], json)).toBe(0);
    expect(`${io.out}${io.err}${json.out}${json.err}`).not.toContain("1234567890");
  });
});
