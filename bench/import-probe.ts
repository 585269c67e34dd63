/**
 * Times `await import` of the given modules, in order, in this fresh process; prints
 * `{"importMs": N, "cpuMs": N}`: the wall time and the CPU time (user + system) from just before the first import
 * to the moment the last one has resolved. Node's own start and this script's are outside the span, so nothing is
 * subtracted. This is the one definition of "import time" in the bench (`imports.ts`, `run.ts`).
 *
 * Relative paths are resolved from the repository root (e.g. `dist/index.js`), or from `--root DIR` (a baseline
 * checkout); bare names as packages. `dist/index.js#generateText` also reads that export (and fails without it).
 * `--preload a,b` imports those first, untimed (a heavy client a subpath is built on, to time geppetto's own code).
 * `--modules` adds `modules`: how many modules the timed imports loaded (a resolve hook counts them; the hook's
 * cost is inside the span, so the times of a `--modules` run are not comparable with others).
 *
 *   npx node bench/import-probe.ts dist/index.js dist/providers/openai/index.js
 *   npx node bench/import-probe.ts --preload @opentelemetry/api dist/observability/otel/index.js
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

/** The specifier to import: a file URL for repository paths, the name itself for packages. */
export function probeSpecifier(module: string, root: URL = new URL("../", import.meta.url)): string {
  return module.startsWith("dist/") || module.startsWith("./") || module.startsWith("bin/")
    ? new URL(module, root).href
    : module;
}

/** Removes `--flag value` from `args` and returns the value. */
function takeOption(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args.splice(index, 2)[1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rootOption = takeOption(args, "--root");
  const root = rootOption ? pathToFileURL(`${rootOption.replace(/\/$/, "")}/`) : undefined;
  const preload = (takeOption(args, "--preload") ?? "").split(",").filter(Boolean);
  const countFlag = args.indexOf("--modules");
  if (countFlag >= 0) args.splice(countFlag, 1);
  if (args.length === 0) throw new Error("import-probe: name at least one module");
  for (const module of preload) await import(probeSpecifier(module, root));
  const loaded = new Set<string>();
  if (countFlag >= 0) {
    // Loaded only here: geppetto's own use of node:module must not be paid by the probe beforehand.
    const { registerHooks } = await import("node:module");
    registerHooks({
      resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        loaded.add(resolved.url);
        return resolved;
      },
    });
  }
  const targets = args.map((module) => {
    const [path = module, exported] = module.split("#");
    return { specifier: probeSpecifier(path, root), exported };
  });
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (const { specifier, exported } of targets) {
    const namespace = (await import(specifier)) as Record<string, unknown>;
    if (exported !== undefined && namespace[exported] === undefined) {
      throw new Error(`import-probe: ${specifier} has no export ${exported}`);
    }
  }
  const importMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const figures: Record<string, number> = { importMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  if (countFlag >= 0) figures.modules = loaded.size;
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
