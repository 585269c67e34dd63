import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);

/** Whether a fresh process resolves the MCP SDK while importing these modules, then running `then`. */
function loadsMcpSdk(modules: string[], then = ""): boolean {
  const imports = modules.map(
    (module, index) => `const m${index} = await import(${JSON.stringify(new URL(module, SRC).href)});`,
  );
  const script = `
    import { registerHooks } from "node:module";
    let seen = false;
    registerHooks({
      resolve(specifier, context, next) {
        if (specifier.startsWith("@modelcontextprotocol/")) seen = true;
        return next(specifier, context);
      },
    });
    ${imports.join("\n")}
    ${then}
    process.stdout.write(JSON.stringify(seen));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as boolean;
}

describe("the MCP SDK is loaded only by an MCP connection", () => {
  it("the core, tools, tool loop, settings and session never load it", () => {
    expect(
      loadsMcpSdk([
        "index.ts",
        "tools/index.ts",
        "toolloop/index.ts",
        "settings/index.ts",
        "session/index.ts",
      ]),
    ).toBe(false);
  });

  it("importing geppetto/mcp does not", () => {
    expect(loadsMcpSdk(["mcp/index.ts"])).toBe(false);
  });

  it("a connection loads it when it connects", () => {
    const connect = `
      const connection = new m0.McpConnection("missing", { command: "geppetto-no-such-mcp-server" }, { reconnect: { maxAttempts: 0 } });
      await connection.connect().catch(() => {});
      await connection.close();
    `;
    expect(loadsMcpSdk(["mcp/index.ts"], connect)).toBe(true);
  });
});
