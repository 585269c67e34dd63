/**
 * Rewrites a tool's JSON schema for what a provider accepts:
 * - `json-schema`: unchanged (Anthropic, Ollama, OpenAI non-strict);
 * - `openai-strict`: every property required, optional ones made nullable, `additionalProperties: false` on
 *   every object, no `default` (OpenAI rejects the schema otherwise);
 * - `gemini`: the OpenAPI subset Gemini accepts: local `$ref`s inlined, `["T","null"]` and `anyOf [T, null]`
 *   turned into `nullable: true`, `const` into a one-value `enum`, unsupported keywords dropped.
 */
import type { SchemaDialect } from "../engine/tools.ts";
import type { JsonObject, JsonValue } from "../turns/json.ts";

const GEMINI_KEYWORDS = new Set([
  "type",
  "format",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "propertyOrdering",
  "items",
  "anyOf",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "title",
  "minProperties",
  "maxProperties",
]);

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function makeNullable(schema: JsonObject): JsonObject {
  if (Array.isArray(schema.type)) {
    return schema.type.includes("null") ? schema : { ...schema, type: [...schema.type, "null"] };
  }
  if (typeof schema.type === "string") {
    if (schema.type === "null") return schema;
    const out: JsonObject = { ...schema, type: [schema.type, "null"] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  return { anyOf: [schema, { type: "null" }] };
}

function toOpenAIStrict(schema: JsonValue): JsonValue {
  if (Array.isArray(schema)) return schema.map(toOpenAIStrict);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "default" || key === "$schema") continue;
    out[key] =
      key === "properties" || key === "$defs" || key === "definitions"
        ? mapValues(value, toOpenAIStrict)
        : toOpenAIStrict(value);
  }
  if (isObject(out.properties) || out.type === "object") {
    const properties = isObject(out.properties) ? out.properties : {};
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    const strictProperties: JsonObject = {};
    for (const [name, property] of Object.entries(properties)) {
      strictProperties[name] = required.has(name) || !isObject(property) ? property : makeNullable(property);
    }
    out.properties = strictProperties;
    out.required = Object.keys(strictProperties);
    out.additionalProperties = false;
  }
  return out;
}

function mapValues(value: JsonValue, map: (value: JsonValue) => JsonValue): JsonValue {
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = map(item);
  return out;
}

function resolveLocalRef(root: JsonObject, ref: string): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const part of ref.replace(/^#\/?/, "").split("/").filter(Boolean)) {
    if (!isObject(node)) return undefined;
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

function toGemini(schema: JsonValue, root: JsonObject, depth: number): JsonValue {
  if (Array.isArray(schema)) return schema.map((item) => toGemini(item, root, depth));
  if (!isObject(schema)) return schema;
  if (depth > 32) return { type: "object" };
  if (typeof schema.$ref === "string") {
    const target = resolveLocalRef(root, schema.$ref);
    return isObject(target)
      ? toGemini({ ...target, ...withoutRef(schema) }, root, depth + 1)
      : { type: "object" };
  }
  let source: JsonObject = schema;
  if (Array.isArray(source.anyOf)) {
    const options = source.anyOf.filter((option) => !(isObject(option) && option.type === "null"));
    if (options.length < source.anyOf.length) {
      const { anyOf: _anyOf, ...rest } = source;
      source =
        options.length === 1 && isObject(options[0])
          ? { ...rest, ...options[0], nullable: true }
          : { ...rest, anyOf: options, nullable: true };
    }
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === "const") out.enum = [value];
    else if (key === "type" && Array.isArray(value)) {
      const types = value.filter((type) => type !== "null");
      if (types.length < value.length) out.nullable = true;
      out.type = types.length === 1 ? types[0]! : types.length === 0 ? "null" : types[0]!;
    } else if (GEMINI_KEYWORDS.has(key)) {
      out[key] =
        key === "properties"
          ? mapValues(value, (item) => toGemini(item, root, depth + 1))
          : toGemini(value, root, depth + 1);
    }
  }
  return out;
}

function withoutRef(schema: JsonObject): JsonObject {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

/**
 * The JSON schema a provider dialect accepts, derived from a tool's base schema. Pure; callers cache it.
 *
 * @example
 * compileForDialect({ type: "object", properties: { unit: { type: "string" } } }, "openai-strict")
 * // { type: "object", properties: { unit: { type: ["string", "null"] } }, required: ["unit"], additionalProperties: false }
 */
export function compileForDialect(schema: JsonObject, dialect: SchemaDialect): JsonObject {
  if (dialect === "openai-strict") return toOpenAIStrict(schema) as JsonObject;
  if (dialect === "gemini") return toGemini(schema, schema, 0) as JsonObject;
  return schema;
}
