import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);
const PROVIDERS = ["openai", "openai-responses", "anthropic", "gemini", "ollama"];

/** The heavy packages (zod, yaml, the MCP SDK) a fresh process resolves while importing the core and one provider. */
function heavyPackagesLoadedBy(provider: string): string[] {
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
    await import(${JSON.stringify(new URL("index.ts", SRC).href)});
    await import(${JSON.stringify(new URL(`providers/${provider}/index.ts`, SRC).href)});
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
    "core + %s loads neither zod, yaml nor the MCP SDK (loaded on first use)",
    (provider) => {
      expect(heavyPackagesLoadedBy(provider)).toEqual([]);
    },
  );
});
