/**
 * geppetto/sessions loads its heavy optional clients (ioredis, node:sqlite) and the SQLite turn store only when a
 * store is opened, the tool loop on a session's first run, and none of the duplex sessions (geppetto/sessions/duplex).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);
const WATCHED = [
  "ioredis",
  "node:sqlite",
  "session/sqlite-turn-store.ts",
  "toolloop/loop.ts",
  "tools/executor.ts",
  "sessions/duplex/duplex-session.ts",
];

function loadedBy(modules: string[], after = ""): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const watched = ${JSON.stringify(WATCHED)};
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        for (const name of watched) {
          if (specifier === name || specifier.startsWith(name + "/") || resolved.url.endsWith("/" + name)) seen.add(name);
        }
        return resolved;
      },
    });
    const loaded = [];
    for (const module of ${JSON.stringify(modules.map((module) => new URL(module, SRC).href))}) loaded.push(await import(module));
    ${after}
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as string[];
}

describe("geppetto/sessions import cost", () => {
  it("importing the sessions loads neither ioredis, node:sqlite, the SQLite turn store, the tool loop nor duplex", () => {
    expect(loadedBy(["sessions/index.ts"])).toEqual([]);
  });

  it("opening a SQLite store loads node:sqlite and the turn store (the check sees what is loaded)", () => {
    expect(
      loadedBy(["sessions/index.ts"], 'await (await loaded[0].SqliteStateStore.open(":memory:")).close();'),
    ).toEqual(["node:sqlite", "session/sqlite-turn-store.ts"]);
  });

  it("geppetto/sessions/duplex loads the duplex session, still neither client", () => {
    expect(loadedBy(["sessions/duplex/index.ts"])).toEqual(["sessions/duplex/duplex-session.ts"]);
  });
});
