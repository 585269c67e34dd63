/**
 * `geppetto run --tools NAME|./module.ts`: the tool sets `run` can offer (or the user's own tools module), and the engine that runs the tool loop with them.
 * On the embedded default, the tool-using scripted responder stands in for the model so the loop really calls
 * a tool with no provider configured.
 */
import type { Engine } from "../engine/engine.ts";
import type { StepController } from "../toolloop/step-control.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import { UsageError } from "./usage.ts";
import { isToolModule, loadToolModule } from "./user-tools.ts";

/**
 * The tool sets `--tools` accepts.
 *
 * @example
 * TOOL_SETS.includes("demo") // true
 */
export const TOOL_SETS = ["demo"] as const;

/**
 * Throws a UsageError (exit 2) for an unknown `--tools` value.
 *
 * @example
 * checkToolSet("demo"); // ok
 */
export function checkToolSet(toolSet: string | undefined): void {
  if (
    toolSet !== undefined &&
    !isToolModule(toolSet) &&
    !(TOOL_SETS as readonly string[]).includes(toolSet)
  ) {
    throw new UsageError(
      `--tools: unknown tool set ${JSON.stringify(toolSet)} (known: ${TOOL_SETS.join(", ")}); or name a tools module such as ./my-tools.ts`,
    );
  }
}

/**
 * The engine `run` uses: `engine` as is without `--tools` or `--mcp`; otherwise a tool loop over it with the named
 * tools, or over `registry` (the `--mcp` servers' registry, which holds the `--tools` set too). `approve` gives the
 * step control that asks before calls of tools marked `needsApproval`.
 * (With no provider configured, `selectEngine({ tools: true })` already chose a scripted model that calls them.)
 *
 * @example
 * const engine = await engineWithTools("demo", selected.engine);
 */
export async function engineWithTools(
  toolSet: string | undefined,
  engine: Engine,
  registry?: ToolRegistry,
  cwd = process.cwd(),
  approve?: (registry: ToolRegistry) => StepController | undefined,
): Promise<Engine> {
  if (toolSet === undefined && registry === undefined) return engine;
  const { ToolLoopEngine } = await import("../toolloop/loop.ts");
  const tools = registry ?? (await toolSetRegistry(toolSet, cwd))!;
  const stepControl = approve?.(tools);
  return new ToolLoopEngine({
    engine,
    registry: tools,
    loop: { maxIterations: 5 },
    ...(stepControl ? { stepControl } : {}),
  });
}

/**
 * The registry of a `--tools` set (undefined without one); `--mcp` servers add their tools to it.
 *
 * @example
 * const registry = await toolSetRegistry("demo"); // time, calculator
 */
export async function toolSetRegistry(
  toolSet: string | undefined,
  cwd = process.cwd(),
): Promise<ToolRegistry | undefined> {
  if (toolSet === undefined) return undefined;
  checkToolSet(toolSet);
  if (isToolModule(toolSet)) return loadToolModule(toolSet, cwd);
  const { demoToolRegistry } = await import("../tools/demo.ts");
  return demoToolRegistry();
}
