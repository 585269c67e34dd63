/**
 * Start-up of `bin/geppetto.js` on the pinned Node: `--help` loads none of the commands, `run` loads its bundle (one
 * file holding its own command only), and Node's compile cache goes to a per-user directory (or is left off,
 * silently, when it cannot be written).
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const home = mkdtempSync(join(tmpdir(), "geppetto-startup-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/**
 * A hook module that prints, at exit, the URLs of the modules the process loaded under `dist/`, and the packages
 * it loaded from node_modules.
 */
const probe = join(home, "probe.mjs");
writeFileSync(
  probe,
  `import { registerHooks } from "node:module";
const loaded = [];
const packages = new Set();
registerHooks({ load(url, context, next) {
  if (url.includes("/dist/")) loaded.push(url.replace(/.*\\/dist\\//, ""));
  const name = /\\/node_modules\\/((@[^/]+\\/)?[^/]+)\\//.exec(url)?.[1];
  if (name) packages.add(name);
  return next(url, context);
} });
process.on("exit", () => process.stderr.write("LOADED " + JSON.stringify(loaded) + "\\nPACKAGES " + JSON.stringify([...packages]) + "\\n"));
`,
);

// The caller's own compile-cache settings are not the test's.
const { GEPPETTO_COMPILE_CACHE, NODE_COMPILE_CACHE, NODE_DISABLE_COMPILE_CACHE, ...parentEnv } = process.env;

function geppetto(args: string[], env: Record<string, string> = {}, bin = join(root, "bin/geppetto.js")) {
  return spawnSync(process.execPath, ["--import", pathToFileURL(probe).href, bin, ...args], {
    encoding: "utf8",
    env: {
      ...parentEnv,
      HOME: home,
      XDG_CONFIG_HOME: join(home, "config"),
      XDG_DATA_HOME: join(home, "data"),
      XDG_CACHE_HOME: join(home, "cache"),
      GEPPETTO_EMBEDDED_PACING_MS: "0",
      GEPPETTO_NO_LOCAL_SERVER: "1",
      ...env,
    },
  });
}

function loaded(stderr: string): string[] {
  return JSON.parse(/^LOADED (.*)$/m.exec(stderr)?.[1] ?? "[]") as string[];
}

function packages(stderr: string): string[] {
  return JSON.parse(/^PACKAGES (.*)$/m.exec(stderr)?.[1] ?? "[]") as string[];
}

describe("start-up", () => {
  it("--help loads the command table and its text only (no command, no zod, yaml or ink)", () => {
    const result = geppetto(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: geppetto <command>");
    expect(loaded(result.stderr)).toEqual(["cli/main.js", "cli/help.js"]);
  });

  it("run loads its bundle only, which holds the run command and none of the others", () => {
    const result = geppetto(["run", "Hello"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("geppetto's embedded default");
    expect(loaded(result.stderr)).toEqual(["cli/run-bundle.js"]);
    // esbuild heads each source file in the bundle with a comment naming it.
    const sources = Array.from(
      readFileSync(join(root, "dist/cli/run-bundle.js"), "utf8").matchAll(/^\/\/ (src\/\S+)$/gm),
      (match) => match[1],
    );
    expect(sources).toContain("src/cli/run.ts");
    expect(
      sources.filter((source) =>
        /^src\/cli\/(chat\/command|webchat|sessions|serve-provider)\.tsx?$/.test(source ?? ""),
      ),
    ).toEqual([]);
    expect(sources.some((source) => source?.startsWith("src/webchat/"))).toBe(false);
  });

  it("runs from dist/cli/main.js when the bundle is missing", () => {
    // A checkout of bin/ and dist/cli/main.js only (a symlink: Node loads the rest from the real dist/).
    const checkout = join(home, "no-bundle");
    mkdirSync(join(checkout, "bin"), { recursive: true });
    mkdirSync(join(checkout, "dist/cli"), { recursive: true });
    copyFileSync(join(root, "bin/geppetto.js"), join(checkout, "bin/geppetto.js"));
    symlinkSync(join(root, "dist/cli/main.js"), join(checkout, "dist/cli/main.js"));
    const result = geppetto(["run", "Hello"], {}, join(checkout, "bin/geppetto.js"));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("geppetto's embedded default");
    expect(loaded(result.stderr)).toContain("cli/run.js");
    expect(loaded(result.stderr)).not.toContain("cli/run-bundle.js");
  });

  it("run on the default with no settings files loads no package (no zod, yaml, ink or react)", () => {
    const result = geppetto(["run", "Hello"]);
    expect(result.status).toBe(0);
    expect(packages(result.stderr)).toEqual([]);
  });

  it("keeps Node's compile cache in $XDG_CACHE_HOME/geppetto/compile-cache", () => {
    expect(geppetto(["--help"]).status).toBe(0);
    const cache = join(home, "cache", "geppetto", "compile-cache");
    expect(existsSync(cache)).toBe(true);
    expect(readdirSync(cache).length).toBeGreaterThan(0);
  });

  it("runs without a cache when its directory cannot be made, and says nothing", () => {
    const blocked = join(home, "not-a-directory");
    writeFileSync(blocked, "");
    const result = geppetto(["--help"], { GEPPETTO_COMPILE_CACHE: join(blocked, "cache") });
    expect(result.status).toBe(0);
    expect(result.stderr.replace(/^(LOADED|PACKAGES) .*\n/gm, "")).toBe("");
  });
});
