/**
 * The entry of the bundled `geppetto run`: `npm run build` bundles it with everything `run` can load into one file,
 * dist/cli/run-bundle.js (see bundle-run.ts), which bin/geppetto.js imports for `geppetto run …`. One file
 * instead of about 130 modules: Node resolves, reads and links each module on its own, and that was most of
 * `run`'s start-up. The other commands start from dist/cli/main.js. Only `dispatch` is taken from main.ts, so its
 * table of the other commands is left out of the bundle (esbuild drops what is not used).
 */
import { type CliIO, dispatch, processIO } from "./main.ts";

/** Runs `geppetto run …` (`argv` without node and script, starting with `run`) and returns the exit code. */
export function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  return dispatch(argv, io, { run: () => import("./run.ts") });
}
