/**
 * Runs once before the test files: checks that the recorded provider corpus is in the repository
 * (`fixtures/providers/`) and that every file its MANIFEST lists is there with the recorded checksum, so a missing
 * or altered recording is one clear message instead of a failure in every test that replays it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = new URL("./fixtures/providers/", import.meta.url);

/** The `path` and `sha256[:16]` columns of every table row in MANIFEST.md. */
export function manifestEntries(manifest: string): { path: string; sha256: string }[] {
  const entries: { path: string; sha256: string }[] = [];
  for (const line of manifest.split("\n")) {
    const match = /^\| `([^`]+)` \|.*\| `([0-9a-f]{16})` \|\s*$/.exec(line);
    if (match) entries.push({ path: match[1]!, sha256: match[2]! });
  }
  return entries;
}

export default function setup(): void {
  const manifestUrl = new URL("MANIFEST.md", ROOT);
  if (!existsSync(manifestUrl)) {
    throw new Error(`the recorded provider corpus is missing: no ${fileURLToPath(manifestUrl)}`);
  }
  const entries = manifestEntries(readFileSync(manifestUrl, "utf8"));
  if (entries.length === 0) throw new Error(`${fileURLToPath(manifestUrl)} lists no recorded file`);
  const problems: string[] = [];
  for (const entry of entries) {
    const url = new URL(entry.path, ROOT);
    if (!existsSync(url)) {
      problems.push(`missing: ${entry.path}`);
      continue;
    }
    const digest = createHash("sha256").update(readFileSync(url)).digest("hex").slice(0, 16);
    if (digest !== entry.sha256)
      problems.push(`changed: ${entry.path} (sha256 ${digest}, MANIFEST ${entry.sha256})`);
  }
  if (problems.length > 0) {
    throw new Error(
      `the recorded provider corpus in ${fileURLToPath(ROOT)} does not match its MANIFEST.md:\n  ${problems.join("\n  ")}`,
    );
  }
}
