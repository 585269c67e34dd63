/**
 * Builds the web chat's browser UI with esbuild into one folder (index.html, app.js, app.css), minified, with
 * no external resource: the package ships it in dist/webchat/ui so the page works offline. `npm run build`
 * runs this file; tests call {@link buildWebChatUi} to build into a folder of their own.
 */
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const SOURCES = fileURLToPath(new URL("./ui/", import.meta.url));

/** What was built. */
export interface BuiltUi {
  outDir: string;
  /** Bytes of app.js, and gzipped. */
  scriptBytes: number;
  scriptGzipBytes: number;
}

/**
 * Bundles the UI into `outDir`.
 *
 * @example
 * const built = await buildWebChatUi("dist/webchat/ui");
 * built.scriptGzipBytes // about 40 000
 */
export async function buildWebChatUi(outDir: string): Promise<BuiltUi> {
  const { build } = await import("esbuild");
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(SOURCES, "main.ts") },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    outdir: outDir,
    legalComments: "none",
    logLevel: "warning",
  });
  await build({
    entryPoints: { app: join(SOURCES, "styles.css") },
    bundle: true,
    minify: true,
    outdir: outDir,
    logLevel: "warning",
  });
  copyFileSync(join(SOURCES, "index.html"), join(outDir, "index.html"));
  const script = readFileSync(join(outDir, "app.js"));
  return { outDir, scriptBytes: script.length, scriptGzipBytes: gzipSync(script).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = fileURLToPath(new URL("../../dist/webchat/ui/", import.meta.url));
  const built = await buildWebChatUi(outDir);
  process.stdout.write(
    `web chat UI: ${outDir} (app.js ${built.scriptBytes} bytes, ${built.scriptGzipBytes} gzipped)\n`,
  );
}
