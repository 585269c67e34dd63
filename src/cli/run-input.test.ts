/**
 * Bad input to `geppetto run` is reported clearly: `--image <directory>` is bad usage (exit 2), and standard
 * input that is binary or not UTF-8 is still used, with a warning.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

/** An environment with no provider configured and no config files of the developer's. */
function cleanEnv(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "geppetto-input-"));
  return { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local/share") };
}

describe("geppetto run input", () => {
  it("--image <directory> is bad usage (exit 2) naming the path, not a raw EISDIR", async () => {
    const folder = mkdtempSync(join(tmpdir(), "geppetto-image-dir-"));
    const io = createTestIO({ env: cleanEnv(), cwd: folder });
    expect(await main(["run", "--image", folder, "What is this?"], io)).toBe(2);
    expect(io.err).toContain(`--image ${folder}: is a directory, not an image file`);
    expect(io.err).not.toContain("EISDIR");
  });

  it("stdin that is not UTF-8 is used with a warning", async () => {
    const io = createTestIO({
      env: cleanEnv(),
      stdin: Uint8Array.from([0x48, 0x69, 0x20, 0xff, 0xfe, 0x0a]),
    });
    expect(await main(["run", "--output", "json"], io)).toBe(0);
    expect(io.err).toContain("standard input is not valid UTF-8; its invalid bytes were replaced by U+FFFD");
    expect(io.out).toContain("Hi \uFFFD\uFFFD");
  });

  it("binary stdin (NUL bytes) is used with a warning", async () => {
    const io = createTestIO({ env: cleanEnv(), stdin: Buffer.from("Hello\0world\n") });
    expect(await main(["run", "--output", "json"], io)).toBe(0);
    expect(io.err).toContain("standard input looks binary");
  });

  it("UTF-8 stdin gets no warning", async () => {
    const io = createTestIO({ env: cleanEnv(), stdin: "Grüße aus der Pipe\n" });
    expect(await main(["run", "--output", "json"], io)).toBe(0);
    expect(io.err).not.toContain("warning");
    expect(io.out).toContain("Grüße aus der Pipe");
  });
});
