import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { setupLocalServer } from "../providers/test-support.ts";
import { NoObjectGeneratedError } from "./generate-object.ts";
import type { ModelResolutionOptions } from "./model-id.ts";
import { streamObject } from "./stream-object.ts";

const server = setupLocalServer();

const resolution = (protocol: string): ModelResolutionOptions => ({
  env: {
    XDG_CONFIG_HOME: join(tmpdir(), "geppetto-app-no-config"),
    GEPPETTO_AI_BASE_URL: server.baseURL(protocol),
    GEPPETTO_AI_API_KEY: "test-key",
  },
  cwd: join(tmpdir(), "geppetto-app-no-project"),
});

const City = z.object({ name: z.string(), population: z.number() });

describe("streamObject", () => {
  it("yields deep-partial objects as the answer streams, then the validated object", async () => {
    const answer = JSON.stringify({ name: "Paris", population: 2100000 });
    server.respond({ script: { tokens: answer.match(/.{1,3}/g)! } });
    const stream = streamObject({
      model: "gemini:gemini-2.5-flash",
      schema: City,
      prompt: "A city",
      resolution: resolution("gemini"),
    });
    const names: (string | undefined)[] = [];
    for await (const partial of stream) names.push(partial.name);
    expect(names).toContain("Par");
    expect(names.at(-1)).toBe("Paris");
    const city = await stream.object;
    expect(city).toEqual({ name: "Paris", population: 2100000 });
    expect((await stream.result).steps).toHaveLength(1);
  });

  it('streams the elements of output: "array" one by one as each completes', async () => {
    const cities = [
      { name: "Paris", population: 2 },
      { name: "Lyon", population: 1 },
      { name: "Nice", population: 0.3 },
    ];
    server.respond({ script: { tokens: JSON.stringify({ elements: cities }).match(/.{1,4}/g)! } });
    const stream = streamObject({
      model: "anthropic:claude-sonnet-4-20250514",
      schema: City,
      output: "array",
      prompt: "Three cities",
      resolution: resolution("anthropic"),
    });
    const seen: string[] = [];
    for await (const city of stream.elements()) seen.push(city.name);
    expect(seen).toEqual(["Paris", "Lyon", "Nice"]);
    expect(await stream.object).toEqual(cities);
  });

  it("a broken answer ends the partials and rejects object with the issues and the raw text", async () => {
    server.respond({ script: { text: '{"name": "Paris", oops}' } });
    const stream = streamObject({
      model: "ollama:llama3.2",
      schema: City,
      repairAttempts: 0,
      prompt: "A city",
      resolution: resolution("ollama"),
    });
    const partials: unknown[] = [];
    // Like every stream, the loop ends by throwing the call's error; `object` rejects with the same one.
    const error = await (async () => {
      try {
        for await (const partial of stream) partials.push(structuredClone(partial));
      } catch (failure) {
        return failure;
      }
    })();
    expect(partials.at(-1)).toEqual({ name: "Paris" });
    await expect(stream.object).rejects.toBe(error);
    expect(error).toBeInstanceOf(NoObjectGeneratedError);
    expect((error as NoObjectGeneratedError).attempts).toEqual([
      { text: '{"name": "Paris", oops}', issues: [expect.objectContaining({ code: "not_json" })] },
    ]);
  });
});
