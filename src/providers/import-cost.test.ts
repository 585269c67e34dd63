/**
 * What importing a provider costs: no heavy package (zod, yaml, the MCP SDK) with the core and an engine, only
 * free built-ins and at most its own client for every entry point, and a provider's subpath loads that provider
 * only: not the registry, whose built-in list would load every other provider's descriptor with it (the reasoning
 * policy reads the engine's own descriptor instead).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { listProviders } from "../provider-kit/registry.ts";

const SRC = new URL("../", import.meta.url);
/** Every provider of the registry, loaded through its descriptor's lazy loader. */
const PROVIDERS = listProviders().map((provider) => provider.id);

/**
 * The heavy packages (zod, yaml, the MCP SDK) a fresh process resolves while importing the core and loading one
 * provider's engine through the registry.
 */
function heavyPackagesLoadedBy(provider: string, then = "", before = ""): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const name = specifier.split("/")[0];
        if (name === "zod" || name === "yaml" || name === "@modelcontextprotocol") seen.add(name);
        return next(specifier, context);
      },
    });
    const core = await import(${JSON.stringify(new URL("index.ts", SRC).href)});
    const registry = await import(${JSON.stringify(new URL("provider-kit/index.ts", SRC).href)});
    ${before}
    const factory = await registry.requireProvider(${JSON.stringify(provider)}).load();
    if (typeof factory !== "function") throw new Error("no engine factory");
    ${then}
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as string[];
}

describe("importing a provider", () => {
  it.each(PROVIDERS)(
    "core + the %s engine (through the registry) loads neither zod, yaml nor the MCP SDK (loaded on first use)",
    (provider) => {
      expect(heavyPackagesLoadedBy(provider)).toEqual([]);
    },
  );

  it("a provider registered at run time is listed and loaded through the same registry path", () => {
    // A throwaway OpenAI-compatible provider, registered in the child process before its engine is loaded.
    const register = `
      const { OPENAI_PROFILE, openAICompatibleProvider } = await import(${JSON.stringify(new URL("providers/openai/descriptor.ts", SRC).href)});
      registry.registerProvider(openAICompatibleProvider({ ...OPENAI_PROFILE, name: "acme", description: "Acme",
        apiKeyVariables: ["ACME_API_KEY"], baseURL: "https://api.acme.invalid/v1", baseURLVariables: [], defaultModel: "acme-1" }));
      if (!registry.listProviders().some((provider) => provider.id === "acme")) throw new Error("not listed");
    `;
    expect(heavyPackagesLoadedBy("acme", "", register)).toEqual([]);
  });

  it("reading a per-turn InferenceConfig (the first request of such a turn) loads no zod either", () => {
    const read = `
      const turn = core.KeyToolConfig.set(core.KeyInferenceConfig.set(core.newTurn(), { temperature: 0.2, stop: ["x"] }), { toolChoice: { name: "f" } });
      if (core.resolveInferenceConfig(turn).temperature !== 0.2) throw new Error("not read");
      if (core.resolveToolConfig(turn).toolChoice.name !== "f") throw new Error("not read");
    `;
    expect(heavyPackagesLoadedBy("openai", read)).toEqual([]);
  });

  it.each(["tools", "structured", "toolloop", "middleware", "settings", "provider-kit"])(
    "geppetto/%s loads neither zod, yaml nor the MCP SDK at import",
    (subpath) => {
      const load = `await import(${JSON.stringify(new URL(`${subpath}/index.ts`, SRC).href)});`;
      expect(heavyPackagesLoadedBy("openai", load)).toEqual([]);
    },
  );
});

/** Node's built-ins an entry point may import: already loaded when Node starts, so they cost nothing. */
const FREE_BUILTINS = ["node:buffer", "node:path", "node:url"];
/**
 * The packages an entry point loads at import: only the heavy client a subpath exists to wrap. (geppetto/mcp
 * imports the MCP SDK when its first connection opens.)
 */
const CLIENT_AT_IMPORT: Record<string, string> = {
  "geppetto/otel": "@opentelemetry/api",
};

/** Every entry point of package.json `exports` and its source module. */
function entryPoints(): [string, URL][] {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", SRC), "utf8")) as {
    exports: Record<string, string | { default: string }>;
  };
  return Object.entries(manifest.exports)
    .filter((entry): entry is [string, { default: string }] => typeof entry[1] === "object")
    .map(([key, value]) => [
      `geppetto${key.slice(1)}`,
      new URL(value.default.replace("./dist/", "").replace(/\.js$/, ".ts"), SRC),
    ]);
}

/** The Node built-ins and the packages (top-level ones, not their own dependencies) a fresh import resolves. */
function loadedAtImport(module: URL): { builtins: string[]; packages: string[] } {
  const script = `
    import { registerHooks } from "node:module";
    const builtins = new Set();
    const packages = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        if (resolved.url.startsWith("node:")) builtins.add(resolved.url);
        const name = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(context.parentURL ?? "") ? undefined
          : /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(resolved.url)?.[1];
        if (name) packages.add(name);
        return resolved;
      },
    });
    await import(${JSON.stringify(module.href)});
    process.stdout.write(JSON.stringify({ builtins: [...builtins].sort(), packages: [...packages].sort() }));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as { builtins: string[]; packages: string[] };
}

describe("what each entry point loads at import", () => {
  // node:fs, node:fs/promises, node:crypto, node:http and node:module each load tens of Node's own modules when
  // imported; geppetto reaches them through process.getBuiltinModule when first needed (src/turns/lazy-require.ts).
  it.each(entryPoints())(
    "geppetto%s imports only free built-ins and at most its own client",
    (key, module) => {
      const loaded = loadedAtImport(module);
      const client = CLIENT_AT_IMPORT[key];
      expect(loaded.builtins.filter((builtin) => !FREE_BUILTINS.includes(builtin))).toEqual([]);
      expect(loaded.packages).toEqual(client ? [client] : []);
    },
  );
});

/** The files under src/providers/ and src/provider-kit/ a fresh process loads while importing `module`. */
function providerModulesLoadedBy(module: string): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = [];
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
    await import(${JSON.stringify(new URL(module, SRC).href)});
    process.stdout.write(JSON.stringify(seen));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return (JSON.parse(output) as string[])
    .filter((url) => /\/src\/(providers|provider-kit)\//.test(url))
    .map((url) => url.replace(/^.*\/src\//, ""));
}

describe("a provider's subpath at import", () => {
  it.each([
    ["anthropic", ["anthropic"]],
    ["gemini", ["gemini"]],
    ["ollama", ["ollama"]],
    // The Responses engine shares the OpenAI descriptor's default base URL and prices.
    ["openai-responses", ["openai", "openai-responses"]],
  ])(
    "geppetto/providers/%s loads no registry and no other provider's descriptor",
    (provider, descriptors) => {
      const loaded = providerModulesLoadedBy(`providers/${provider}/index.ts`);
      const loadedDescriptors = loaded.filter((file) => /^providers\/[^/]+\/descriptor\.ts$/.test(file));
      expect(loadedDescriptors.sort()).toEqual(
        descriptors.map((name) => `providers/${name}/descriptor.ts`).sort(),
      );
      expect(loaded).not.toContain("provider-kit/registry.ts");
      expect(loaded).not.toContain("providers/builtin.ts");
    },
  );
});
