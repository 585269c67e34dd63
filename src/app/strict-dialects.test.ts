import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { GeppettoError } from "../engine/errors.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { generateObject } from "./generate-object.ts";
import type { ModelResolutionOptions } from "./model-id.ts";
import { anthropicSchemaProblems, geminiSchemaProblems, toGeminiSchema } from "./strict-dialects.ts";

const server = setupLocalServer();

const resolution = (protocol: string): ModelResolutionOptions => ({
  env: {
    XDG_CONFIG_HOME: join(tmpdir(), "geppetto-app-no-config"),
    GEPPETTO_AI_BASE_URL: server.baseURL(protocol),
    GEPPETTO_AI_API_KEY: "test-key",
  },
  cwd: join(tmpdir(), "geppetto-app-no-project"),
});

async function errorOf(run: () => Promise<unknown>): Promise<GeppettoError> {
  try {
    await run();
  } catch (error) {
    if (GeppettoError.is(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

/** The value at a dotted path of a request body. */
function dig(value: unknown, path: string): Record<string, unknown> {
  let node = value;
  for (const key of path.split(".")) node = (node as Record<string, unknown>)[key];
  return node as Record<string, unknown>;
}

/** A tree whose children are required: recursive through required properties only. */
const REQUIRED_TREE = {
  type: "object",
  properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#" } } },
  required: ["name", "children"],
};
const Flags = z.object({ mode: z.literal(true), tags: z.record(z.string(), z.string()) });

const REFUSALS = [
  {
    id: "openai-responses:gpt-4o-mini",
    protocol: "openai-responses",
    schema: Flags,
    mode: "OpenAI strict mode",
    rules: ["$.properties.tags: additionalProperties must be false"],
  },
  {
    id: "anthropic:claude-sonnet-4-20250514",
    protocol: "anthropic",
    schema: REQUIRED_TREE,
    mode: "Anthropic structured outputs",
    rules: [
      '$.properties.children.items: recursive schemas are not supported ($ref "#") in Anthropic structured outputs',
    ],
  },
  {
    id: "anthropic:claude-sonnet-4-20250514",
    protocol: "anthropic",
    schema: Flags,
    mode: "Anthropic structured outputs",
    rules: [
      "$.properties.tags: additionalProperties must be false (records and maps cannot be expressed) in Anthropic structured outputs",
      "$.properties.tags: propertyNames is not supported in Anthropic structured outputs",
    ],
  },
  {
    id: "gemini:gemini-2.5-flash",
    protocol: "gemini",
    schema: REQUIRED_TREE,
    mode: "Gemini's response schema",
    rules: [
      '$.properties.children.items: a recursive $ref ("#") must sit under an optional property: Gemini unrolls cycles only there',
    ],
  },
  {
    id: "gemini:gemini-2.5-flash",
    protocol: "gemini",
    schema: {
      type: "object",
      properties: {
        flag: { enum: [true, false] },
        both: { allOf: [{ type: "object" }, { required: ["a"] }] },
      },
    },
    mode: "Gemini's response schema",
    rules: [
      "$.properties.flag: enum values must be strings or numbers",
      "$.properties.both: allOf is not supported (merge the schemas) in Gemini's response schema",
    ],
  },
];

describe("strict structured-output checks on every provider with rules of its own", () => {
  it.each(REFUSALS)(
    "$id ($mode) refuses a schema it cannot take before any request, naming each path and rule",
    async (refusal) => {
      const error = await errorOf(() =>
        generateObject({
          model: refusal.id,
          schema: refusal.schema,
          prompt: "x",
          resolution: resolution(refusal.protocol),
        }),
      );
      expect(error).toMatchObject({ code: "invalid_object_schema", fault: "caller" });
      expect(error.message).toContain(
        `schema "output" cannot be used in ${refusal.mode} (pass strict: false to send it unchecked): `,
      );
      for (const rule of refusal.rules) expect(error.message).toContain(rule);
      expect(server.requests).toHaveLength(0);
    },
  );

  it("Anthropic: bounds and lengths are left out of what is sent, noted for the model, and still validated", async () => {
    const Team = z.object({
      name: z.string().max(5),
      size: z.number().int(),
      members: z.array(z.string()).min(2),
    });
    server.enqueue(
      { script: { text: '{"name": "Avengers", "size": 3, "members": ["a", "b"]}' } },
      { script: { text: '{"name": "Aves", "size": 3, "members": ["a", "b"]}' } },
    );
    const out = await generateObject({
      model: "anthropic:claude-sonnet-4-20250514",
      schema: Team,
      prompt: "Invent a team",
      resolution: resolution("anthropic"),
    });
    expect(out.object).toEqual({ name: "Aves", size: 3, members: ["a", "b"] });
    expect(out.failedAttempts[0]!.issues).toEqual([expect.objectContaining({ path: "$.name" })]);
    const sent = dig(server.requests[0]!.body, "output_format.schema");
    expect(sent).toEqual({
      type: "object",
      properties: {
        name: { type: "string", description: '{"maxLength":5}' },
        size: { type: "integer" },
        members: { type: "array", items: { type: "string" }, description: '{"minItems":2}' },
      },
      required: ["name", "size", "members"],
      additionalProperties: false,
    });
    expect(JSON.stringify(server.requests[1]!.body)).toContain("$.name");
  });

  it("Gemini: unknown keywords are left out and noted, const becomes an enum, a cycle under an optional property passes", async () => {
    const schema = {
      type: "object",
      properties: {
        code: { type: "string", pattern: "^[A-Z]{3}$", minLength: 3 },
        kind: { const: "airport" },
        parent: { $ref: "#", description: "the enclosing one" },
      },
      required: ["code", "kind"],
    };
    server.enqueue(
      { script: { text: '{"code": "osl", "kind": "airport"}' } },
      { script: { text: '{"code": "OSL", "kind": "airport"}' } },
    );
    const out = await generateObject({
      model: "gemini:gemini-2.5-flash",
      schema,
      prompt: "An airport",
      resolution: resolution("gemini"),
    });
    expect(out.object).toEqual({ code: "OSL", kind: "airport" });
    expect(out.failedAttempts).toHaveLength(1);
    expect(dig(server.requests[0]!.body, "generationConfig.responseJsonSchema")).toEqual({
      type: "object",
      properties: {
        code: { type: "string", description: '{"pattern":"^[A-Z]{3}$","minLength":3}' },
        kind: { enum: ["airport"] },
        parent: { $ref: "#" },
      },
      required: ["code", "kind"],
    });
  });

  it("OpenAI Responses sends the strict-mode schema with strict: true; strict: false sends any schema unchecked", async () => {
    server.respond({ script: { text: '{"name": "Ada", "nickname": null}' } });
    const out = await generateObject({
      model: "openai-responses:gpt-4o-mini",
      schema: z.object({ name: z.string(), nickname: z.string().optional() }),
      prompt: "x",
      resolution: resolution("openai-responses"),
    });
    expect(out.object).toEqual({ name: "Ada" });
    expect(dig(server.requests[0]!.body, "text.format")).toMatchObject({
      type: "json_schema",
      strict: true,
      schema: { required: ["name", "nickname"], additionalProperties: false },
    });
    server.respond({ script: { text: '{"name": "root", "children": []}' } });
    const unchecked = await generateObject({
      model: "anthropic:claude-sonnet-4-20250514",
      schema: REQUIRED_TREE,
      strict: false,
      prompt: "x",
      resolution: resolution("anthropic"),
    });
    expect(unchecked.object).toEqual({ name: "root", children: [] });
    expect(dig(server.requests[1]!.body, "output_format.schema")).toMatchObject({
      additionalProperties: false,
    });
  });
});

describe("the rules themselves", () => {
  it("follow $refs into $defs, report a cycle once, and tell an optional cycle from a required one", () => {
    const defs = {
      $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" } } } },
      type: "object",
      properties: { first: { $ref: "#/$defs/Node" }, second: { $ref: "#/$defs/Node" } },
      required: ["first", "second"],
    };
    expect(anthropicSchemaProblems(defs)).toEqual([
      '$.properties.first.properties.next: recursive schemas are not supported ($ref "#/$defs/Node") in Anthropic structured outputs',
    ]);
    // `next` is optional, so Gemini can unroll the cycle.
    expect(geminiSchemaProblems(defs)).toEqual([]);
    expect(
      anthropicSchemaProblems({ type: "object", properties: { x: { $ref: "https://example.com/x" } } }),
    ).toEqual([
      '$.properties.x: external $ref "https://example.com/x" is not supported in Anthropic structured outputs',
    ]);
  });

  it("Gemini's schema takes definitions as $defs and keeps nothing but $ keywords beside a $ref", () => {
    expect(
      toGeminiSchema({
        definitions: { Id: { type: "string", format: "uuid", examples: ["x"] } },
        type: "object",
        properties: { id: { $ref: "#/definitions/Id", description: "the id" } },
      }),
    ).toEqual({
      $defs: { Id: { type: "string", format: "uuid" } },
      type: "object",
      properties: { id: { $ref: "#/$defs/Id" } },
    });
  });
});
