/**
 * The turn-snapshot middleware: hands the Turn to a snapshot hook before and after each inference (phases
 * `pre_inference` and `post_inference`), for engines used without the tool loop.
 */
import { type SnapshotHook, takeSnapshot } from "../toolloop/snapshot.ts";
import type { Middleware } from "./compose.ts";

/**
 * Snapshots around each inference. Without a hook it uses the one on the context.
 *
 * @example
 * const engine = withMiddleware(base, turnSnapshotMiddleware((turn, phase) => store.save("s1", turn, phase)));
 */
export function turnSnapshotMiddleware(hook?: SnapshotHook): Middleware {
  return (next) => async (turn, ctx) => {
    await takeSnapshot(ctx, turn, "pre_inference", hook);
    const out = await next(turn, ctx);
    await takeSnapshot(ctx, out, "post_inference", hook);
    return out;
  };
}
