/**
 * The README's TypeScript blocks, for the tests that typecheck them (readme.test.ts) and run them
 * (readme-run.test.ts). A block that continues the one before it says so on its first line
 * (`// continues the block above`) and is joined to it. Names a block only refers to (the reader's own `engine`,
 * `turn`, `ctx`, sinks) are declared for the typecheck by {@link assumptions}.
 */
import { readFileSync } from "node:fs";

const ROOT = new URL("../", import.meta.url);
const CONTINUES = "// continues the block above";

/** What the README's prose calls "your engine", "a turn"… in the blocks that do not build their own. */
export const ASSUMED: Record<string, string> = {
  engine: 'declare const engine: import("geppetto").Engine;',
  turn: 'declare const turn: import("geppetto").Turn;',
  ctx: 'declare const ctx: import("geppetto").RunContext;',
  printer: 'declare const printer: import("geppetto").EventSink;',
  ui: 'declare const ui: import("geppetto").EventSink;',
  code: "declare const code: string;",
  registry: 'declare const registry: import("geppetto/tools").ToolRegistry;',
  play: "declare function play(chunk: unknown): void;",
};

export interface Block {
  line: number;
  source: string;
}

export function readmeBlocks(): Block[] {
  const lines = readFileSync(new URL("README.md", ROOT), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (lines[index] !== "```ts") continue;
    const start = index + 1;
    let end = start;
    while (lines[end] !== "```") end++;
    const source = lines.slice(start, end).join("\n");
    if (source.startsWith(CONTINUES) && blocks.length > 0) {
      const previous = blocks.at(-1)!;
      previous.source += `\n${source}`;
    } else blocks.push({ line: start + 1, source });
    index = end;
  }
  return blocks;
}

/** Declarations for the assumed names a block uses without defining them. */
export function assumptions(source: string): string {
  return Object.entries(ASSUMED)
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(source))
    .filter(([name]) => !new RegExp(`\\b(const|let|var|function|class)\\s+${name}\\b`).test(source))
    .filter(([name]) => !new RegExp(`import\\s+(type\\s+)?\\{[^}]*\\b${name}\\b[^}]*\\}`).test(source))
    .map(([, declaration]) => declaration)
    .join(" ");
}
