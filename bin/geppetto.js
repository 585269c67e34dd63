#!/usr/bin/env node
// The geppetto command. The CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci`).
// Written so that any Node can parse it: an older Node is told which version is needed (exit 2).

// node:sqlite (the session store) loads without a flag from Node 22.13 on.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `geppetto: needs Node 22.13 or newer (node:sqlite); this is Node ${process.versions.node} (${process.execPath})\n`,
  );
  process.exit(2);
}

// Node's built-ins by process.getBuiltinModule, not `import`: an imported built-in's ESM facade reads every export,
// and fs's `promises`, util's `diff` and others load about 50 more of Node's modules (several milliseconds).
const { existsSync } = process.getBuiltinModule("node:fs");
const nodeModule = process.getBuiltinModule("node:module");
const { homedir } = process.getBuiltinModule("node:os");
const { join } = process.getBuiltinModule("node:path");

// A closed standard output (`geppetto run hi | head -c 5`) ends the command quietly, as `cat` does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

// Node's compile cache keeps the compiled code of the modules a command loads, so later starts skip compiling them.
// Per user: $GEPPETTO_COMPILE_CACHE, else $XDG_CACHE_HOME/geppetto/compile-cache, else ~/.cache/geppetto/compile-cache
// (%LOCALAPPDATA%\geppetto\compile-cache on Windows). NODE_DISABLE_COMPILE_CACHE=1 turns it off; a directory that
// cannot be written leaves it off, silently.
try {
  const env = process.env;
  const cacheHome =
    env.XDG_CACHE_HOME || (process.platform === "win32" && env.LOCALAPPDATA) || join(homedir(), ".cache");
  nodeModule.enableCompileCache(env.GEPPETTO_COMPILE_CACHE || join(cacheHome, "geppetto", "compile-cache"));
} catch {
  // No cache: the command starts as without one.
}

// `run` starts from its bundle (one file instead of about 130 modules; built with dist/), the rest from main.js.
const bundle = process.argv[2] === "run" ? new URL("../dist/cli/run-bundle.js", import.meta.url) : undefined;
const entry = bundle && existsSync(bundle) ? bundle : new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("geppetto: dist/ is missing; run `npm run build` (or `npm ci`) first\n");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
