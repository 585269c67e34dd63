/**
 * What the package ships for the web chat (the built UI, small, with no outside resource) and what it costs
 * those who do not use it (nothing: neither the core nor `geppetto/webchat` loads `ws` before a server starts).
 * `npm test` builds before it runs the tests, so dist/ is current here.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUILT = new URL("../../dist/webchat/ui/", import.meta.url);

function packagesLoadedBy(entry: string): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        if (specifier === "ws" || specifier === "markdown-it" || specifier === "esbuild") seen.add(specifier);
        return next(specifier, context);
      },
    });
    await import(${JSON.stringify(new URL(entry, import.meta.url).href)});
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as string[];
}

describe("the web chat in the package", () => {
  it("ships the built UI in dist/ (in the package's files), under 100 KB of gzipped JavaScript", () => {
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    ) as { files: { path: string }[] }[];
    const paths = packed[0]!.files.map((file) => file.path);
    for (const name of ["index.html", "app.js", "app.css"])
      expect(paths).toContain(`dist/webchat/ui/${name}`);
    const script = readFileSync(new URL("app.js", BUILT));
    expect(gzipSync(script).length).toBeLessThan(100 * 1024);
  });

  it("loads nothing from outside the server: the page names only its own script and styles", () => {
    const page = readFileSync(new URL("index.html", BUILT), "utf8");
    expect([...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1])).toEqual([
      "data:,", // no favicon request
      "/app.css",
      "/app.js",
    ]);
  });

  it("costs the core nothing: importing geppetto or geppetto/webchat loads no ws, markdown-it or esbuild", () => {
    expect(packagesLoadedBy("../index.ts")).toEqual([]);
    expect(packagesLoadedBy("./index.ts")).toEqual([]);
  });
});
