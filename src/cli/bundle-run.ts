/**
 * Bundles `geppetto run` (run-entry.ts and every module it can load) into one file, dist/cli/run-bundle.js, with
 * esbuild; `npm run build` runs this file after tsc. Modules a run loads on demand stay lazy inside the bundle
 * (esbuild initialises each on first import), and packages stay outside it: the bundle imports nothing up front
 * (Node's built-ins are read on use too), so a run loads zod, yaml or the MCP SDK when it needs them, as the
 * unbundled CLI does. A bundle that would import a package up front fails the build, naming the package.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";

/**
 * Node's built-ins by `process.getBuiltinModule`, read on use, not `import`ed: an imported built-in's ESM facade
 * reads every export at start-up, and fs's `promises`, util's `diff` and others load dozens more of Node's modules.
 * Each built-in becomes a module of named exports, each read by a pure expression, so the bundle keeps only the
 * names it imports (a CommonJS wrapper would copy every property of the module at each import: about 2,000
 * property definitions per run).
 */
const builtinsOnUse: Plugin = {
  name: "builtins-on-use",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: "builtin" }));
    build.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => {
      const names = Object.getOwnPropertyNames(process.getBuiltinModule(args.path)).filter(
        (name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== "default",
      );
      const lines = [
        `const builtin = /* @__PURE__ */ (() => process.getBuiltinModule(${JSON.stringify(args.path)}))();`,
        ...names.map((name) => `export const ${name} = /* @__PURE__ */ (() => builtin.${name})();`),
        "export default builtin;",
      ];
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

/** What was built. */
export interface BuiltRunBundle {
  file: string;
  bytes: number;
  /** The source files inside it. */
  inputs: number;
}

/**
 * Bundles run-entry.ts into `file`.
 *
 * @example
 * const built = await bundleRun("dist/cli/run-bundle.js");
 * built.inputs // about 200 source files
 */
export async function bundleRun(file: string): Promise<BuiltRunBundle> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./run-entry.ts", import.meta.url))],
    outfile: file,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node22",
    packages: "external",
    metafile: true,
    write: false,
    banner: { js: "// Built by src/cli/bundle-run.ts from src/cli/run-entry.ts: do not edit." },
    logLevel: "warning",
    plugins: [builtinsOnUse],
  });
  const [output] = Object.values(result.metafile.outputs);
  const [written] = result.outputFiles;
  if (!output || !written) throw new Error(`esbuild bundled nothing for ${file}`);
  const eager = output.imports
    .filter((imported) => imported.kind === "import-statement")
    .map((imported) => imported.path);
  if (eager.length > 0) {
    throw new Error(
      `${file} would import ${[...new Set(eager)].join(", ")} at start-up: load it on first use (loadZod, loadYaml, or a dynamic import where it is needed)`,
    );
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, written.contents);
  return { file, bytes: output.bytes, inputs: Object.keys(output.inputs).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await bundleRun(fileURLToPath(new URL("../../dist/cli/run-bundle.js", import.meta.url)));
  process.stdout.write(
    `geppetto run bundle: ${built.file} (${built.bytes} bytes, ${built.inputs} modules)\n`,
  );
}
