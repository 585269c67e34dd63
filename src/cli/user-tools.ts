/**
 * `--tools ./my-tools.ts` (or `.js`, `.mjs`): the user's own tools, every `defineTool` export of a module.
 * TypeScript modules load through Node's type stripping (erasable syntax only).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { AnyTool, ToolRegistry } from "../tools/registry.ts";
import { UsageError } from "./usage.ts";

/**
 * True when a `--tools` value names a module rather than a built-in set (`./x.ts`, `/abs/x.js`, `x.mjs`).
 *
 * @example
 * isToolModule("./my-tools.ts") // true
 * isToolModule("demo") // false
 */
export function isToolModule(value: string): boolean {
  return /^(\.{1,2}\/|\/)/.test(value) || /\.(m?[jt]s|cjs|cts|mts)$/.test(value);
}

function isTool(value: unknown): value is AnyTool {
  const tool = value as Partial<AnyTool> | null;
  return (
    typeof tool === "object" &&
    tool !== null &&
    typeof tool.name === "string" &&
    typeof tool.execute === "function" &&
    typeof tool.validateInput === "function" &&
    typeof tool.parametersFor === "function"
  );
}

/**
 * Imports a tools module and registers every tool it exports (a default export may also be a list of tools).
 * A module that cannot be loaded, or exports no tool, is a UsageError naming the file.
 *
 * @example
 * const registry = await loadToolModule("./my-tools.ts", process.cwd());
 */
export async function loadToolModule(path: string, cwd: string): Promise<ToolRegistry> {
  const file = resolve(cwd, path);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(
      `--tools: cannot load ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const tools: AnyTool[] = [];
  for (const value of Object.values(exports)) {
    if (isTool(value)) tools.push(value);
    else if (Array.isArray(value)) tools.push(...value.filter(isTool));
  }
  const unique = [...new Map(tools.map((tool) => [tool.name, tool])).values()];
  if (unique.length === 0) {
    throw new UsageError(`--tools: ${file} exports no tool (export the results of defineTool)`);
  }
  const { ToolRegistry } = await import("../tools/registry.ts");
  return new ToolRegistry(unique);
}
