/**
 * Tool input schemas: a zod schema, any Standard Schema (the `~standard` interface, written here against the
 * spec's types so no extra dependency is needed), or a plain JSON schema. Each kind gives a validator and a
 * JSON schema for the model.
 */
import { z } from "zod";
import { formatJsonSchemaIssues, validateJsonSchema } from "../engine/json-schema-validation.ts";
import type { JsonObject } from "../turns/json.ts";
import { checkToolInputSchema } from "./schema-check.ts";

/** The Standard Schema v1 interface (https://standardschema.dev), as its spec defines it. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardSchemaV1.Result<Output> | Promise<StandardSchemaV1.Result<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
    /** Standard JSON Schema extension: the schema's JSON schema, when the library offers it. */
    readonly jsonSchema?: { readonly input: (options: { target: string }) => Record<string, unknown> };
  };
}

/** Types of the Standard Schema v1 spec. */
export declare namespace StandardSchemaV1 {
  type Result<Output> =
    | { readonly value: Output; readonly issues?: undefined }
    | { readonly issues: readonly Issue[] };
  interface Issue {
    readonly message: string;
    readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
  }
}

/** A plain JSON schema object describing the tool's input (an object schema). */
export type JsonSchemaInput = JsonObject & { type?: "object" };

/** Anything accepted as a tool input schema. */
export type ToolInputSchema = StandardSchemaV1<unknown, unknown> | JsonSchemaInput;

/** Anything accepted as a tool output schema: any Standard Schema, or a JSON schema of any type. */
export type ToolOutputSchema = StandardSchemaV1<unknown, unknown> | JsonObject;

/** The argument type a schema produces: the output type of a Standard Schema, a JSON object otherwise. */
export type InferToolInput<S> = S extends StandardSchemaV1<unknown, infer Output> ? Output : JsonObject;

/** A validator's verdict: the parsed value, or a message naming what is wrong and where. */
export type ValidationOutcome<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * True for a Standard Schema (zod, valibot, arktype…).
 *
 * @example
 * isStandardSchema(z.string()) // true
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1<unknown, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { "~standard"?: { validate?: unknown } })["~standard"]?.validate === "function"
  );
}

function issuePath(issue: StandardSchemaV1.Issue): string {
  let out = "$";
  for (const segment of issue.path ?? []) {
    const key = typeof segment === "object" && segment !== null ? segment.key : segment;
    out += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  }
  return out;
}

/**
 * A compiled input schema: validates arguments and gives the base JSON schema.
 *
 * @example
 * const input = compileInputSchema(z.object({ city: z.string() }));
 * await input.validate({ city: 3 }) // { ok: false, message: "$.city: Invalid input: expected string, received number" }
 */
export interface CompiledInputSchema<T> {
  validate(value: unknown): Promise<ValidationOutcome<T>>;
  /** The JSON schema (dialect `json-schema`). */
  jsonSchema: JsonObject;
}

function standardJsonSchema(schema: StandardSchemaV1<unknown, unknown>, where: string): JsonObject {
  if (schema instanceof z.ZodType) {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
    return rest as JsonObject;
  }
  const extension = schema["~standard"].jsonSchema;
  if (extension) return extension.input({ target: "draft-2020-12" }) as JsonObject;
  throw new TypeError(
    `${where}: this ${schema["~standard"].vendor} schema offers no JSON schema; pass \`jsonSchema\` to defineTool`,
  );
}

/** A compiled schema's check: the value it accepts, or a message naming what is wrong. */
export type SchemaValidator<T> = (
  value: unknown,
) => Promise<{ ok: true; value: T } | { ok: false; message: string }>;

/**
 * Compiles any schema — zod, another Standard Schema, or a JSON schema of any type — into a validator only (no
 * JSON schema for a provider). Used for tool outputs, which may be numbers, strings or arrays.
 *
 * @example
 * const check = compileValidator({ type: "number" }, 'tool "n" output');
 * await check(3) // { ok: true, value: 3 }
 */
export function compileValidator<T>(schema: ToolOutputSchema, where: string): SchemaValidator<T> {
  if (isStandardSchema(schema)) {
    return async (value) => {
      const result = await schema["~standard"].validate(value);
      if (result.issues) {
        const message = result.issues
          .slice(0, 5)
          .map((issue) => `${issuePath(issue)}: ${issue.message}`)
          .join("; ");
        return { ok: false, message };
      }
      return { ok: true, value: result.value as T };
    };
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new TypeError(`${where}: must be a zod schema, a Standard Schema or a JSON schema object`);
  }
  return async (value) => {
    const issues = validateJsonSchema(value, schema as JsonObject);
    return issues.length > 0
      ? { ok: false, message: formatJsonSchemaIssues(issues) }
      : { ok: true, value: value as T };
  };
}

/**
 * Compiles a tool's input schema: its validator plus the JSON schema offered to providers (`jsonSchemaOverride`
 * when given), which must describe an object (tool arguments are always an object).
 */
export function compileInputSchema<T>(
  schema: ToolInputSchema,
  where: string,
  jsonSchemaOverride?: JsonObject,
): CompiledInputSchema<T> {
  if (isStandardSchema(schema)) {
    const jsonSchema = jsonSchemaOverride ?? standardJsonSchema(schema, where);
    checkToolInputSchema(jsonSchema, where);
    return { jsonSchema, validate: compileValidator<T>(schema, where) };
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new TypeError(`${where}: input must be a zod schema, a Standard Schema or a JSON schema object`);
  }
  if (schema.type !== undefined && schema.type !== "object") {
    throw new TypeError(
      `${where}: input JSON schema must have type "object" (got ${JSON.stringify(schema.type)})`,
    );
  }
  const jsonSchema = jsonSchemaOverride ?? (schema as JsonObject);
  checkToolInputSchema(jsonSchema, where);
  return { jsonSchema, validate: compileValidator<T>(schema, where) };
}
