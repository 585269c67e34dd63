/**
 * `bin/geppetto.js` on a Node that is too old names the version it needs and exits 2 (before loading anything).
 */
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The machine's own node when it is older than 22.13 (the pinned one is newer), for the version check. */
function oldNode(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
    const probe = spawnSync(candidate, ["-p", "process.versions.node"], { encoding: "utf8" });
    if (probe.status !== 0) continue;
    const [major = 0, minor = 0] = probe.stdout.trim().split(".").map(Number);
    if (major < 22 || (major === 22 && minor < 13)) return candidate;
  }
  return undefined;
}

const old = oldNode();

describe("bin/geppetto.js", () => {
  it.skipIf(old === undefined)("on a Node older than 22.13 says which version is needed and exits 2", () => {
    const result = spawnSync(old!, [join(root, "bin/geppetto.js"), "--help"], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^geppetto: needs Node 22\.13 or newer \(node:sqlite\); this is Node \d+\./,
    );
    expect(result.stdout).toBe("");
  });

  it("package.json's engines say the same", async () => {
    const { default: pkg } = await import("../../package.json", { with: { type: "json" } });
    expect(pkg.engines.node).toBe(">=22.13");
  });

  it("chat --help prints its piped example on one line", async () => {
    const io = createTestIO();
    expect(await main(["chat", "--help"], io)).toBe(0);
    expect(io.out).toContain("  printf 'Hello\\nAnd again\\n' | geppetto chat --resume\n");
  });
});
