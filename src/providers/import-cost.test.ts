/**
 * A provider's subpath loads that provider only: not the registry, whose built-in list would load every other
 * provider's descriptor with it (the reasoning policy reads the engine's own descriptor instead).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);

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
