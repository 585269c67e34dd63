import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);

/**
 * Runs `body` after importing the core in a fresh process; returns the heavy packages, provider engines and
 * tool loop, tools, provider registry or settings modules it loaded.
 */
function loadedBy(body: string): { packages: string[]; providers: string[]; modules: string[] } {
  const script = `
    import { registerHooks } from "node:module";
    const packages = new Set();
    const providers = new Set();
    const modules = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const name = specifier.split("/")[0];
        if (name === "zod" || name === "yaml" || name === "@modelcontextprotocol") packages.add(name);
        const resolved = next(specifier, context);
        const provider = /\\/src\\/providers\\/([a-z-]+)\\/engine\\.ts$/.exec(resolved.url)?.[1];
        if (provider) providers.add(provider);
        const module = /\\/src\\/((?:toolloop|tools|provider-kit|settings)\\/[a-z-]+)\\.ts$/.exec(resolved.url)?.[1];
        if (module) modules.add(module);
        return resolved;
      },
    });
    const core = await import(${JSON.stringify(new URL("index.ts", SRC).href)});
    ${body}
    process.stdout.write(JSON.stringify({ packages: [...packages], providers: [...providers], modules: [...modules] }));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as { packages: string[]; providers: string[]; modules: string[] };
}

describe("the application API's import cost", () => {
  it("importing generateText from the core loads no heavy package, no provider, not the tool loop, not the registry", () => {
    // The tool loop, the tools module, the provider registry and settings load on the first call; only step
    // control's helpers are imported.
    expect(loadedBy("if (typeof core.generateText !== 'function') throw new Error('missing');")).toEqual({
      packages: [],
      providers: [],
      modules: ["toolloop/steps"],
    });
  });

  it('resolving "ollama:llama3.2" loads the registry and the ollama provider only', () => {
    const resolve = `await core.resolveModel("ollama:llama3.2", { env: { XDG_CONFIG_HOME: "/nonexistent/geppetto" }, cwd: "/nonexistent/project" });`;
    const loaded = loadedBy(resolve);
    expect(loaded.providers).toEqual(["ollama"]);
    expect(loaded.modules).toEqual(
      expect.arrayContaining(["provider-kit/registry", "provider-kit/model-id"]),
    );
  });
});
