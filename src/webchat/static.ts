/**
 * The built browser UI (index.html, app.js, app.css), read once at start-up and served from memory. Only the
 * files of the built folder exist as routes, so no request path ever reaches the file system.
 */
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CallerError } from "../engine/errors.ts";
import { CONTENT_SECURITY_POLICY } from "./http.ts";

/** `node:fs` as Node holds it: an `import` of it would load its promise API and streams (about 34 of Node's modules). */
const fs = process.getBuiltinModule("node:fs");

/** One servable file. */
export interface StaticFile {
  body: Buffer;
  headers: Record<string, string | number>;
}

/** Files by URL path (`/index.html`, `/app.js`). */
export type StaticFiles = Map<string, StaticFile>;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * Where the built UI is: `ui/` beside this module in the package (dist/webchat/ui), or, when running from the
 * sources, the package's build output.
 *
 * @example
 * defaultUiDir() // ".../node_modules/geppetto/dist/webchat/ui"
 */
export function defaultUiDir(): string {
  const beside = fileURLToPath(new URL("./ui/", import.meta.url));
  if (fs.existsSync(join(beside, "app.js"))) return beside;
  return fileURLToPath(new URL("../../dist/webchat/ui/", import.meta.url));
}

/** Reads the built UI into memory. A missing build is an error that says how to make one. */
export async function loadStaticFiles(uiDir = defaultUiDir()): Promise<StaticFiles> {
  if (!fs.existsSync(join(uiDir, "index.html")) || !fs.existsSync(join(uiDir, "app.js"))) {
    throw new CallerError(`the web chat UI is not built in ${uiDir} (run \`npm run build\`)`, {
      code: "webchat_ui_missing",
    });
  }
  const files: StaticFiles = new Map();
  for (const name of fs.readdirSync(uiDir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = fs.readFileSync(join(uiDir, name));
    const headers: Record<string, string | number> = {
      "content-type": type,
      "content-length": body.length,
      "cache-control": "no-cache",
    };
    if (name.endsWith(".html")) headers["content-security-policy"] = CONTENT_SECURITY_POLICY;
    files.set(`/${name}`, { body, headers });
  }
  return files;
}
