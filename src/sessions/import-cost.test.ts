/** geppetto/sessions loads its heavy optional clients (ioredis, node:sqlite) only when a store is opened. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);
const WATCHED = ["ioredis", "node:sqlite"];

function loadedBy(modules: string[], after = ""): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const watched = ${JSON.stringify(WATCHED)};
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        for (const name of watched) if (specifier === name || specifier.startsWith(name + "/")) seen.add(name);
        return next(specifier, context);
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
  it("importing the sessions loads neither ioredis nor node:sqlite", () => {
    expect(loadedBy(["sessions/index.ts"])).toEqual([]);
  });

  it("opening a SQLite store loads node:sqlite (the check sees what is loaded)", () => {
    expect(
      loadedBy(["sessions/index.ts"], 'await (await loaded[0].SqliteStateStore.open(":memory:")).close();'),
    ).toEqual(["node:sqlite"]);
  });
});
