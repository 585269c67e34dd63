/**
 * The schema of a typed answer: a zod schema, any Standard Schema, or a JSON schema, turned into the JSON
 * schema a provider's native JSON mode takes (compiled per dialect; the rules of OpenAI strict mode, Anthropic's
 * structured outputs and Gemini's response schema checked with the path and the rule that fails) and into a
 * validator of the answer.
 */

import { CallerError } from "../engine/errors.ts";
import type { StructuredOutputConfig } from "../engine/structured-output.ts";
import type { ValidationOutcome } from "../engine/validation.ts";
import { compileForDialect } from "../tools/dialects.ts";
import { compileValidator, isStandardSchema } from "../tools/input-schema.ts";
import type { JsonObject, JsonValue } from "../turns/json.ts";
import { loadZod } from "../turns/lazy-modules.ts";
import { ELEMENTS_KEY, type ObjectOutput, type ObjectSchema } from "./object-types.ts";
import {
  anthropicSchemaProblems,
  geminiSchemaProblems,
  toAnthropicSchema,
  toGeminiSchema,
} from "./strict-dialects.ts";
import { strictModeProblems } from "./strict-mode.ts";

export type { DeepPartial, InferObject, ObjectOutput, ObjectSchema } from "./object-types.ts";
export { ELEMENTS_KEY } from "./object-types.ts";
export { strictModeProblems } from "./strict-mode.ts";

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The JSON schema of a schema (zod's own conversion, the Standard JSON Schema extension, or as given). */
export function jsonSchemaOf(schema: ObjectSchema): JsonObject {
  if (!isStandardSchema(schema)) {
    if (!isObject(schema)) {
      throw new CallerError("schema must be a zod schema, a Standard Schema or a JSON schema object", {
        code: "invalid_object_schema",
      });
    }
    return schema;
  }
  if (schema["~standard"].vendor === "zod") {
    const { $schema: _ignored, ...rest } = loadZod().toJSONSchema(schema as never, {
      io: "input",
      unrepresentable: "any",
    });
    return rest as JsonObject;
  }
  const extension = schema["~standard"].jsonSchema;
  if (extension) return extension.input({ target: "draft-2020-12" }) as JsonObject;
  throw new CallerError(
    `this ${schema["~standard"].vendor} schema offers no JSON schema (Standard JSON Schema); pass a JSON schema or a zod schema`,
    { code: "invalid_object_schema" },
  );
}

/** A compiled answer schema: the provider config, the parser options, and the answer's validator. */
export interface CompiledObjectSchema<T> {
  config: StructuredOutputConfig;
  /** The JSON schema of the whole answer before any dialect (the `{ elements }` wrapper included). */
  jsonSchema: JsonObject;
  /** Validates the whole parsed answer (the `{ elements }` wrapper included for arrays). */
  validate(value: unknown): Promise<ValidationOutcome<T>>;
  /** Validates one element (`output: "array"`). */
  validateElement(value: unknown): Promise<ValidationOutcome<unknown>>;
}

/** The schema families with rules of their own, by api type or wire protocol. */
const FAMILIES: Record<string, "openai" | "anthropic" | "gemini"> = {
  openai: "openai",
  "openai-chat": "openai",
  "openai-responses": "openai",
  anthropic: "anthropic",
  claude: "anthropic",
  gemini: "gemini",
};

/** Each family's rules: the problems of a schema, what is sent, and how the error names the mode. */
const RULES = {
  openai: {
    problems: strictModeProblems,
    compile: (schema: JsonObject) => compileForDialect(schema, "openai-strict"),
    mode: "OpenAI strict mode",
  },
  anthropic: {
    problems: anthropicSchemaProblems,
    compile: toAnthropicSchema,
    mode: "Anthropic structured outputs",
  },
  gemini: { problems: geminiSchemaProblems, compile: toGeminiSchema, mode: "Gemini's response schema" },
};

/**
 * Compiles the schema for an api type or wire protocol (`openai`, `openai-chat`, `openai-responses`,
 * `anthropic`, `gemini`, `ollama`; undefined for an engine of unknown kind, which gets the schema as written).
 * OpenAI (strict mode), Anthropic (structured outputs) and Gemini (response schema) have rules of their own,
 * checked unless `strict: false`: a schema the provider cannot take is a CallerError (`invalid_object_schema`)
 * listing every path and rule; a constraint it only cannot enforce is left out of what is sent and checked by
 * the validator.
 */
export function compileObjectSchema<T>(
  schema: ObjectSchema,
  options: { apiType?: string; name?: string; description?: string; strict?: boolean; output?: ObjectOutput },
): CompiledObjectSchema<T> {
  const name = options.name ?? "output";
  const base = jsonSchemaOf(schema);
  const array = options.output === "array";
  const wrapped: JsonObject = array
    ? {
        type: "object",
        properties: { [ELEMENTS_KEY]: { type: "array", items: base } },
        required: [ELEMENTS_KEY],
      }
    : base;
  if (!array && wrapped.type !== "object") {
    throw new CallerError(
      `schema "${name}" must describe an object (got type ${JSON.stringify(wrapped.type ?? null)}); use output: "array" for a list`,
      { code: "invalid_object_schema" },
    );
  }
  const family = FAMILIES[options.apiType ?? ""];
  const checked = family !== undefined && options.strict !== false;
  let sent: JsonObject = wrapped;
  if (checked) {
    const rules = RULES[family];
    const problems = rules.problems(wrapped);
    if (problems.length > 0) {
      throw new CallerError(
        `schema "${name}" cannot be used in ${rules.mode} (pass strict: false to send it unchecked): ${problems.join("; ")}`,
        { code: "invalid_object_schema" },
      );
    }
    sent = rules.compile(wrapped);
  } else if (family === "anthropic") sent = toAnthropicSchema(wrapped); // it takes closed objects only
  const strict = checked && family === "openai";
  const check = compileValidator<unknown>(schema as never, `schema "${name}"`);
  const validateElement = async (value: unknown) => check(strict ? stripStrictNulls(value, base) : value);
  const validate = async (value: unknown): Promise<ValidationOutcome<T>> => {
    if (!array) return (await validateElement(value)) as ValidationOutcome<T>;
    const elements = isObject(value) ? value[ELEMENTS_KEY] : undefined;
    if (!Array.isArray(elements)) {
      return { ok: false, issues: [{ path: `$.${ELEMENTS_KEY}`, message: "expected an array of elements" }] };
    }
    const out: unknown[] = [];
    const issues = [];
    for (const [index, element] of elements.entries()) {
      const outcome = await validateElement(element);
      if (outcome.ok) out.push(outcome.value);
      else
        for (const issue of outcome.issues)
          issues.push({ ...issue, path: issue.path.replace(/^\$/, `$[${index}]`) });
    }
    return issues.length > 0 ? { ok: false, issues } : { ok: true, value: out as T };
  };
  const config: StructuredOutputConfig = {
    mode: "json_schema",
    name,
    schema: sent,
    strict,
    requireValid: false,
    ...(options.description === undefined ? {} : { description: options.description }),
  };
  return { config, jsonSchema: wrapped, validate, validateElement };
}

/**
 * Undoes OpenAI strict mode's rewrite of optional properties (sent as required and nullable): a `null` for a
 * property the original schema has as optional and not nullable is dropped, so the caller's schema validates.
 */
export function stripStrictNulls(value: unknown, schema: JsonValue): unknown {
  if (!isObject(schema)) return value;
  if (Array.isArray(value))
    return isObject(schema.items) ? value.map((item) => stripStrictNulls(item, schema.items!)) : value;
  if (!isObject(value) || !isObject(schema.properties)) return value;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const property = schema.properties[key];
    if (item === null && !required.has(key) && !allowsNull(property)) continue;
    out[key] = property === undefined ? item : stripStrictNulls(item, property);
  }
  return out;
}

function allowsNull(schema: JsonValue | undefined): boolean {
  if (!isObject(schema)) return true;
  if (schema.type === "null" || (Array.isArray(schema.type) && schema.type.includes("null"))) return true;
  const options = [
    ...(Array.isArray(schema.anyOf) ? schema.anyOf : []),
    ...(Array.isArray(schema.oneOf) ? schema.oneOf : []),
  ];
  return options.some((option) => isObject(option) && allowsNull(option));
}
