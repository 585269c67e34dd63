/**
 * Every provider folder has the same shape (src/providers/README.md, "Adding a provider"): `descriptor.ts` (the
 * registry entry, with the provider id, its settings block and its metadata keys), `wire.ts` (wire types),
 * `request.ts` (a `build…Request` returning `{ body, warnings }`), `stream.ts` (the reducer), `engine.ts` (an
 * `HttpEngine` plus those two) and `index.ts`; a part too long for `request.ts` or `stream.ts` continues in
 * `request-<part>.ts` or `stream-<part>.ts`; a provider with a wire of its own may add `local-server.ts` (the
 * local provider server's module for it) and `contract.ts` (the contract suite's reader). Each folder's descriptor is in the built-in registry, and a folder
 * reads another provider only through its descriptor.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUILTIN_PROVIDERS } from "./builtin.ts";

const ROOT = new URL("./", import.meta.url);
const SHARED = new Set(["contract", "transport"]);
const REQUIRED = ["descriptor.ts", "engine.ts", "index.ts", "request.ts", "stream.ts", "wire.ts"];
const PART = /^(request|stream)-[a-z]+(-[a-z]+)*\.ts$/;
/** What a provider with a wire protocol of its own brings for the local provider server and the contract suite. */
const OWN_WIRE = ["local-server.ts", "contract.ts"];

const folders = readdirSync(ROOT, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !SHARED.has(entry.name))
  .map((entry) => entry.name);
const read = (folder: string, file: string) => readFileSync(new URL(`${folder}/${file}`, ROOT), "utf8");
const sources = (folder: string) =>
  readdirSync(new URL(`${folder}/`, ROOT)).filter(
    (file) => file.endsWith(".ts") && !file.endsWith(".test.ts"),
  );

describe("provider folders", () => {
  it("are the five built-in ones", () => {
    expect(folders.sort()).toEqual(["anthropic", "gemini", "ollama", "openai", "openai-responses"]);
  });

  it.each(folders)("%s has the documented file set and nothing else", (folder) => {
    const files = sources(folder);
    expect(files.filter((file) => REQUIRED.includes(file)).sort()).toEqual(REQUIRED);
    const extra = (file: string) => !REQUIRED.includes(file) && !PART.test(file) && !OWN_WIRE.includes(file);
    expect(files.filter(extra)).toEqual([]);
  });

  it.each(folders)("%s: request.ts builds { body, warnings }, engine.ts extends HttpEngine", (folder) => {
    expect(read(folder, "request.ts")).toMatch(
      /export function build\w*Request\(\s*prepared: PreparedInference/,
    );
    expect(read(folder, "engine.ts")).toMatch(/class \w+ extends HttpEngine</);
  });

  it.each(folders)("%s: its descriptor is a built-in provider", async (folder) => {
    const exported = Object.values(await import(`./${folder}/descriptor.ts`));
    expect(BUILTIN_PROVIDERS.some((provider) => exported.includes(provider))).toBe(true);
  });

  it.each(folders)("%s reads another provider only through its descriptor", (folder) => {
    const crossing = sources(folder).flatMap((file) =>
      [...read(folder, file).matchAll(/from "\.\.\/([a-z-]+)\/([a-z-]+\.ts)"/g)]
        .filter(([, other, module]) => folders.includes(other!) && module !== "descriptor.ts")
        .map(([, other, module]) => `${file} imports ${other}/${module}`),
    );
    expect(crossing).toEqual([]);
  });
});
