/**
 * Every TypeScript block of the README compiles: each is written to a file of its own and typechecked (strict,
 * the project's settings) against the built package, as a user's file importing `geppetto` would be. A block
 * that continues the one before it says so on its first line (`// continues the block above`) and is checked
 * after it. Names a block only refers to (the reader's own `engine`, `turn`, `ctx`, sinks) are declared for it
 * (`ASSUMED` in readme-blocks.ts), and nothing else.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assumptions, readmeBlocks } from "./readme-blocks.ts";

const ROOT = new URL("../", import.meta.url);

describe("README code blocks", () => {
  it("every TypeScript block typechecks against the built package", () => {
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThan(4);
    const folder = new URL("test-artifacts/readme-blocks/", ROOT);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    const files = blocks.map((block) => {
      const name = `readme-line-${block.line}.ts`;
      // The assumptions share the first line, so the compiler's line numbers are the block's own.
      writeFileSync(new URL(name, folder), `${assumptions(block.source)} export {};\n${block.source}\n`);
      return name;
    });
    const base = JSON.parse(readFileSync(new URL("tsconfig.json", ROOT), "utf8")) as {
      compilerOptions: Record<string, unknown>;
    };
    writeFileSync(
      new URL("tsconfig.json", folder),
      JSON.stringify({ compilerOptions: { ...base.compilerOptions, noEmit: true }, files }),
    );
    let output = "";
    try {
      // The check leaves nothing behind (Biome would lint the copies).
      execFileSync(process.execPath, [new URL("node_modules/typescript/bin/tsc", ROOT).pathname, "-p", "."], {
        cwd: folder.pathname,
        encoding: "utf8",
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    // README line of each error: readme-line-N.ts(L,C) is README line N + L - 2.
    const located = output.replace(
      /readme-line-(\d+)\.ts\((\d+),(\d+)\)/g,
      (_match, start: string, line: string, column: string) =>
        `README.md:${Number(start) + Number(line) - 2}:${column}`,
    );
    expect(located).toBe("");
  });
});
