import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SRC = new URL("../", import.meta.url);

/** The packages a fresh process resolves while importing `modules` (paths under src/). */
function packagesLoadedBy(modules: string[]): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        if (/^(@opentelemetry|yaml|zod)/.test(specifier)) seen.add(specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/"));
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

/** The files under src/observability/ a fresh process loads while importing `module` (a path under src/), sorted. */
function observabilityModulesLoadedBy(module: string): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = [];
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
    await import(${JSON.stringify(new URL(module, SRC).href)});
    process.stdout.write(JSON.stringify(seen.filter((url) => url.includes("/observability/"))));
  `;
  const output = execFileSync(
    process.execPath,
    ["--experimental-transform-types", "--no-warnings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return (JSON.parse(output) as string[]).map((url) => url.replace(/^.*\/observability\//, "")).sort();
}

describe("observability at import", () => {
  it("the core, the tool loop, sessions (duplex too) and geppetto/observability load no OpenTelemetry (nor yaml, zod)", () => {
    expect(
      packagesLoadedBy([
        "index.ts",
        "toolloop/index.ts",
        "session/index.ts",
        "sessions/index.ts",
        "observability/index.ts",
        "providers/openai/index.ts",
      ]),
    ).toEqual([]);
  });

  it("the core loads neither the inference observer nor the tracing helpers (only a traced or debug run does)", () => {
    expect(observabilityModulesLoadedBy("index.ts")).toEqual(["inference-scope.ts", "logger.ts"]);
  });

  it.each(["anthropic", "gemini", "openai-responses"])(
    "geppetto/providers/%s loads neither the token-count observer, the inference observer nor tracing (its first count does)",
    (provider) => {
      const loaded = observabilityModulesLoadedBy(`providers/${provider}/index.ts`);
      expect(loaded).toContain("logger.ts");
      expect(
        loaded.filter((file) => ["token-count.ts", "inference-observer.ts", "tracing.ts"].includes(file)),
      ).toEqual([]);
    },
  );

  it("geppetto/otel is what loads @opentelemetry/api", () => {
    expect(packagesLoadedBy(["index.ts", "observability/otel/index.ts"])).toEqual(["@opentelemetry/api"]);
  });
});
