/**
 * geppetto/sessions loads its heavy optional clients (ioredis, node:sqlite) only when a store is opened, and the
 * machinery only some calls need (the SQLite turn store, Session and EngineBuilder with the tool loop, the duplex
 * spans, the tool executor, the transports' helpers) only when a store or session is opened or a tool is run.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);
const CLIENTS = ["ioredis", "node:sqlite"];
/** geppetto's own modules, relative to src/, that importing geppetto/sessions must not load. */
const LAZY = [
  "session/sqlite-turn-store.ts",
  "session/session.ts",
  "session/engine-builder.ts",
  "toolloop/loop.ts",
  "observability/duplex-spans.ts",
  "tools/executor.ts",
  "transports/shared.ts",
];

/** What of CLIENTS and LAZY a fresh process loads importing `modules`, then running `after`. */
function loadedBy(modules: string[], after = ""): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const clients = ${JSON.stringify(CLIENTS)};
    const lazy = ${JSON.stringify(LAZY.map((module) => new URL(module, SRC).href))};
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        for (const name of clients) if (specifier === name || specifier.startsWith(name + "/")) seen.add(name);
        const resolved = next(specifier, context);
        if (lazy.includes(resolved.url)) seen.add(resolved.url.slice(${JSON.stringify(SRC.href.length)}));
        return resolved;
      },
    });
    const loaded = [];
    for (const module of ${JSON.stringify(modules.map((module) => new URL(module, SRC).href))}) loaded.push(await import(module));
    ${after}
    process.stdout.write(JSON.stringify([...seen].sort()));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as string[];
}

describe("geppetto/sessions import cost", () => {
  it("importing the sessions loads neither ioredis, node:sqlite nor the machinery only some calls need", () => {
    expect(loadedBy(["sessions/index.ts"])).toEqual([]);
  });

  it("opening a SQLite store loads node:sqlite and the SQLite turn store (the check sees what is loaded)", () => {
    expect(
      loadedBy(["sessions/index.ts"], 'await (await loaded[0].SqliteStateStore.open(":memory:")).close();'),
    ).toEqual(["node:sqlite", "session/sqlite-turn-store.ts"]);
  });

  it("opening a unary session loads Session, EngineBuilder and the tool loop with its executor", () => {
    expect(
      loadedBy(
        ["sessions/index.ts", "testing/index.ts"],
        "await loaded[0].UnarySession.open({ engine: new loaded[1].ScriptedEngine([]) });",
      ),
    ).toEqual(["session/engine-builder.ts", "session/session.ts", "toolloop/loop.ts", "tools/executor.ts"]);
  });
});
