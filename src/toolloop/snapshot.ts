/**
 * Snapshot hooks: the tool loop hands the Turn to a hook at each phase (`pre_inference`, `post_inference`,
 * `post_tools`), so a persister can save it and a UI can show it. A hook comes from the loop options and/or the
 * run context ({@link withSnapshotHook}); both run.
 */
import { contextKey, publish, type RunContext } from "../events/context.ts";
import type { Turn } from "../turns/types.ts";

/**
 * When a snapshot is taken. `streaming` is never handed to a hook: it is the phase a persister saves a partial
 * answer under while it streams (see src/engine/checkpoint.ts), so a store may hold it after a crash.
 */
export type SnapshotPhase = "pre_inference" | "streaming" | "post_inference" | "post_tools" | "final";

/** Receives a snapshot. May be async: the loop awaits it before going on. */
export type SnapshotHook = (turn: Turn, phase: SnapshotPhase, ctx: RunContext) => void | Promise<void>;

/**
 * The run context slot holding a snapshot hook (prefer {@link withSnapshotHook}, which chains).
 *
 * @example
 * ctx.get(SnapshotHookKey)?.(turn, "post_tools", ctx);
 */
export const SnapshotHookKey = contextKey<SnapshotHook>("geppetto.snapshot_hook");

/**
 * Puts a snapshot hook on the context (chained after one already there).
 *
 * @example
 * const ctx = withSnapshotHook(RunContext.background(), (turn, phase) => saved.push({ phase, turn }));
 */
export function withSnapshotHook(ctx: RunContext, hook: SnapshotHook): RunContext {
  const existing = ctx.get(SnapshotHookKey);
  return ctx.with(
    SnapshotHookKey,
    existing
      ? async (turn, phase, inner) => {
          await existing(turn, phase, inner);
          await hook(turn, phase, inner);
        }
      : hook,
  );
}

/**
 * Runs the hooks for a phase. A failing hook never breaks the run: it is reported as an `error` log event.
 *
 * @example
 * await takeSnapshot(ctx, turn, "post_tools", optionsHook);
 */
export async function takeSnapshot(
  ctx: RunContext,
  turn: Turn,
  phase: SnapshotPhase,
  ...hooks: (SnapshotHook | undefined)[]
): Promise<void> {
  for (const hook of [...hooks, ctx.get(SnapshotHookKey)]) {
    if (!hook) continue;
    try {
      await hook(turn, phase, ctx);
    } catch (error) {
      publish(ctx, {
        type: "log",
        level: "error",
        message: `snapshot hook failed at ${phase}: ${error instanceof Error ? error.message : String(error)}`,
        fields: { phase, turnId: turn.id },
      });
    }
  }
}
