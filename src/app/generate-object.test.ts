import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { GeppettoError } from "../engine/errors.ts";
import { createOpenAIResponsesEngine } from "../providers/openai-responses/index.ts";
import { fixturePath, setupLocalServer } from "../providers/test-support.ts";
import { generateObject, NoObjectGeneratedError } from "./generate-object.ts";
import type { ModelResolutionOptions } from "./model-id.ts";

const server = setupLocalServer();

const resolution = (protocol: string): ModelResolutionOptions => ({
  env: {
    XDG_CONFIG_HOME: join(tmpdir(), "geppetto-app-no-config"),
    GEPPETTO_AI_BASE_URL: server.baseURL(protocol),
    GEPPETTO_AI_API_KEY: "test-key",
  },
  cwd: join(tmpdir(), "geppetto-app-no-project"),
});

const Person = z.object({ name: z.string(), age: z.number().int(), nickname: z.string().optional() });

/** Where each provider's request carries the JSON schema of its native JSON mode. */
const PROVIDERS = [
  {
    id: "openai:gpt-4o-mini",
    protocol: "openai-chat",
    schemaAt: "response_format.json_schema.schema",
    nulls: true,
  },
  {
    id: "openai-responses:gpt-4o-mini",
    protocol: "openai-responses",
    schemaAt: "text.format.schema",
    nulls: true,
  },
  {
    id: "anthropic:claude-sonnet-4-20250514",
    protocol: "anthropic",
    schemaAt: "output_format.schema",
    nulls: false,
  },
  {
    id: "gemini:gemini-2.5-flash",
    protocol: "gemini",
    schemaAt: "generationConfig.responseJsonSchema",
    nulls: false,
  },
  { id: "ollama:llama3.2", protocol: "ollama", schemaAt: "format", nulls: false },
];

/** The value at a dotted path of a request body. */
function dig(value: unknown, path: string): Record<string, unknown> {
  let node = value;
  for (const key of path.split(".")) node = (node as Record<string, unknown>)[key];
  return node as Record<string, unknown>;
}

async function errorOf(run: () => Promise<unknown>): Promise<GeppettoError> {
  try {
    await run();
  } catch (error) {
    if (GeppettoError.is(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("generateObject on every provider's native JSON mode", () => {
  it.each(PROVIDERS)(
    "$id: sends the compiled schema and returns the validated, typed object",
    async (provider) => {
      const answer = provider.nulls ? { name: "Ada", age: 36, nickname: null } : { name: "Ada", age: 36 };
      server.respond({ script: { tokens: JSON.stringify(answer).match(/.{1,5}/g)! } });
      const out = await generateObject({
        model: provider.id,
        schema: Person,
        schemaName: "person",
        prompt: "Invent a person",
        resolution: resolution(provider.protocol),
      });
      const age: number = out.object.age;
      expect(age).toBe(36);
      expect(out.object).toEqual({ name: "Ada", age: 36 });
      expect(out.failedAttempts).toEqual([]);
      const schema = dig(server.requests[0]!.body, provider.schemaAt);
      expect(schema).toMatchObject({ type: "object", properties: { name: { type: "string" } } });
      if (provider.nulls) {
        // OpenAI strict mode: every property required, the optional one nullable, objects closed.
        expect(schema).toMatchObject({ required: ["name", "age", "nickname"], additionalProperties: false });
        expect(schema).toMatchObject({ properties: { nickname: { type: ["string", "null"] } } });
      }
      if (provider.protocol === "anthropic") expect(schema.additionalProperties).toBe(false);
    },
  );
});

describe("generateObject", () => {
  it("replays a recorded Responses answer in array output mode (an Engine with its api type)", async () => {
    const engine = createOpenAIResponsesEngine({
      model: "gpt-4o-mini",
      apiKey: "k",
      baseURL: server.baseURL("openai-responses"),
      stream: false,
    });
    server.respond({ fixture: fixturePath("openai-responses", "text-structured-output.json") });
    const out = await generateObject({
      model: engine,
      apiType: "openai-responses",
      schema: z.object({ shared: z.string() }),
      output: "array",
      prompt: "List",
    });
    expect(out.object).toEqual([{ shared: "works" }]);
    expect(dig(server.requests[0]!.body, "text.format.schema")).toMatchObject({
      properties: { elements: { type: "array", items: { properties: { shared: { type: "string" } } } } },
    });
  });

  it("sends the validation issues back and returns the repaired answer", async () => {
    server.enqueue(
      { script: { text: '{"name": "Ada", "age": "old"}' } },
      { script: { text: '{"name": "Ada", "age": 36}' } },
    );
    const out = await generateObject({
      model: "anthropic:claude-sonnet-4-20250514",
      schema: Person,
      prompt: "Invent a person",
      resolution: resolution("anthropic"),
    });
    expect(out.object).toEqual({ name: "Ada", age: 36 });
    expect(out.failedAttempts).toEqual([
      { text: '{"name": "Ada", "age": "old"}', issues: [expect.objectContaining({ path: "$.age" })] },
    ]);
    const repair = (
      server.requests[1]!.body as { messages: { role: string; content: unknown }[] }
    ).messages.at(-1)!;
    expect(JSON.stringify(repair.content)).toContain("$.age");
    expect(out.turn.data["geppetto.structured_output_config@v1"]).toBeUndefined();
  });

  it("fails with every attempt's issues and raw text when no answer validates", async () => {
    server.respond({ script: { text: "I would rather not." } });
    const error = await errorOf(() =>
      generateObject({
        model: "ollama:llama3.2",
        schema: Person,
        prompt: "Invent a person",
        repairAttempts: 2,
        resolution: resolution("ollama"),
      }),
    );
    expect(error).toBeInstanceOf(NoObjectGeneratedError);
    expect(error.code).toBe("no_object_generated");
    expect(error.fault).toBe("model");
    const failure = error as NoObjectGeneratedError;
    expect(failure.attempts).toHaveLength(3);
    for (const attempt of failure.attempts) {
      expect(attempt.text).toBe("I would rather not.");
      expect(attempt.issues[0]).toMatchObject({ path: "$", code: "not_json" });
    }
    expect(failure.text).toBe("I would rather not.");
    expect(error.message).toMatch(/^no valid object after 3 attempts: \$: not JSON/);
  });

  it("a schema OpenAI strict mode cannot take names the path and the rule, before any request", async () => {
    const Tagged = z.object({ tags: z.record(z.string(), z.string()) });
    const error = await errorOf(() =>
      generateObject({
        model: "openai:gpt-4o-mini",
        schema: Tagged,
        prompt: "x",
        resolution: resolution("openai-chat"),
      }),
    );
    expect(error.code).toBe("invalid_object_schema");
    expect(error.message).toContain('schema "output" cannot be used in OpenAI strict mode');
    expect(error.message).toContain("$.properties.tags: additionalProperties must be false");
    expect(error.message).toContain("$.properties.tags: propertyNames is not supported in strict mode");
    const negated = { type: "object", properties: { id: { not: { type: "string" } } } };
    const second = await errorOf(() =>
      generateObject({
        model: "openai:gpt-4o-mini",
        schema: negated,
        prompt: "x",
        resolution: resolution("openai-chat"),
      }),
    );
    expect(second.message).toContain("$.properties.id: not is not supported in strict mode");
    expect(server.requests).toHaveLength(0);
  });

  it("a schema that is not an object asks for output: array", async () => {
    const error = await errorOf(() =>
      generateObject({
        model: "ollama:llama3.2",
        schema: z.string(),
        prompt: "x",
        resolution: resolution("ollama"),
      }),
    );
    expect(error.message).toBe(
      'schema "output" must describe an object (got type "string"); use output: "array" for a list',
    );
  });
});
