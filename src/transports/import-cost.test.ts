import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);
const CLIENTS = [
  "ioredis",
  "@nats-io/transport-node",
  "@nats-io/jetstream",
  "@nats-io/nats-core",
  "postgres",
];

/** The message-server client packages a fresh process resolves while importing the given modules. */
function clientsLoadedBy(modules: string[]): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const clients = ${JSON.stringify(CLIENTS)};
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        for (const client of clients) if (specifier === client || specifier.startsWith(client + "/")) seen.add(client);
        return next(specifier, context);
      },
    });
    for (const module of ${JSON.stringify(modules.map((module) => new URL(module, SRC).href))}) await import(module);
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as string[];
}

describe("message-server clients load only where they are used", () => {
  it("the core never loads ioredis or the NATS clients", () => {
    expect(clientsLoadedBy(["index.ts"])).toEqual([]);
  });

  it("importing geppetto/transports/redis or /nats loads no client until a transport connects", () => {
    expect(clientsLoadedBy(["index.ts", "transports/redis/index.ts", "transports/nats/index.ts"])).toEqual(
      [],
    );
  });

  it("importing geppetto/stores/postgres loads no PostgreSQL client until a store is opened", () => {
    expect(clientsLoadedBy(["stores/postgres/index.ts"])).toEqual([]);
  });

  it("the check does see a client that is loaded (the contract suite's support imports ioredis)", () => {
    expect(clientsLoadedBy(["transports/contract-support.ts"])).toContain("ioredis");
  });
});
