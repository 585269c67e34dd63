/**
 * Times `await import` of the given modules, in order, in this fresh process; prints `{"importMs": N}`.
 * Relative paths are resolved from the repository root (e.g. `dist/index.js`); bare names as packages.
 * `--preload a,b` imports those first, untimed (to see a module's own share without its dependencies).
 *
 *   npx node bench/import-probe.ts dist/index.js dist/providers/openai/index.js
 *   npx node bench/import-probe.ts --preload zod,yaml dist/index.js dist/providers/openai/index.js
 */
import { performance } from "node:perf_hooks";

const ROOT_URL = new URL("../", import.meta.url);

/** The specifier to import: a file URL for repository paths, the name itself for packages. */
export function probeSpecifier(module: string): string {
  return module.startsWith("dist/") || module.startsWith("./") || module.startsWith("bin/")
    ? new URL(module, ROOT_URL).href
    : module;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const preloadFlag = args.indexOf("--preload");
  const preload = preloadFlag >= 0 ? (args.splice(preloadFlag, 2)[1] ?? "").split(",").filter(Boolean) : [];
  const modules = args;
  if (modules.length === 0) throw new Error("import-probe: name at least one module");
  for (const specifier of preload.map(probeSpecifier)) await import(specifier);
  const specifiers = modules.map(probeSpecifier);
  const start = performance.now();
  for (const specifier of specifiers) await import(specifier);
  const importMs = performance.now() - start;
  process.stdout.write(`${JSON.stringify({ importMs })}\n`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
