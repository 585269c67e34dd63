/**
 * `geppetto run --tools NAME`: the tool sets `run` can offer, and the engine that runs the tool loop with them.
 * On the embedded default, the tool-using scripted responder stands in for the model so the loop really calls
 * a tool with no provider configured.
 */
import type { Engine } from "../engine/engine.ts";
import type { CliIO } from "./main.ts";
import { UsageError } from "./usage.ts";

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
  if (toolSet !== undefined && !(TOOL_SETS as readonly string[]).includes(toolSet)) {
    throw new UsageError(
      `--tools: unknown tool set ${JSON.stringify(toolSet)} (known: ${TOOL_SETS.join(", ")})`,
    );
  }
}

/**
 * The engine `run` uses: `engine` as is without `--tools`; otherwise a tool loop over it with the named tools
 * (on the embedded default, over the tool-using scripted responder).
 *
 * @example
 * const engine = await engineWithTools("demo", selected, io);
 */
export async function engineWithTools(
  toolSet: string | undefined,
  selected: { engine: Engine; isDefault: boolean },
  io: CliIO,
): Promise<Engine> {
  if (toolSet === undefined) return selected.engine;
  checkToolSet(toolSet);
  const [{ demoToolRegistry }, { ToolLoopEngine }] = await Promise.all([
    import("../tools/demo.ts"),
    import("../toolloop/loop.ts"),
  ]);
  let engine = selected.engine;
  if (selected.isDefault) {
    const { createEmbeddedToolUsingEngine } = await import("../testing/tool-responder.ts");
    const pacing = Number(io.env.GEPPETTO_EMBEDDED_PACING_MS ?? 15);
    engine = createEmbeddedToolUsingEngine({ pacingMs: Number.isFinite(pacing) ? pacing : 15 });
    io.stderr.write(
      "geppetto: no provider configured: --tools runs on the embedded default, a scripted model that calls the demo tools (no API key, no network)\n",
    );
  }
  return new ToolLoopEngine({ engine, registry: demoToolRegistry(), loop: { maxIterations: 5 } });
}
