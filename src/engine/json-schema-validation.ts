/**
 * A small JSON-schema validator for the keywords tool inputs and structured output use in practice.
 *
 * Why not a library: the schemas geppetto validates are the ones it sends to providers (tool inputs, structured
 * output), which use a small, well-known subset (type, properties, required, additionalProperties, items, enum,
 * const, anyOf/oneOf/allOf, numeric and length bounds, pattern, local `$ref`). A full validator (ajv) would add a
 * code-generating dependency for keywords no provider accepts. Unknown keywords are ignored, as the spec says.
 */
import type { JsonObject } from "../turns/json.ts";

/** One problem found by {@link validateJsonSchema}, at a JSON path like `$.items[2].name`. */
export interface JsonSchemaIssue {
  path: string;
  message: string;
}

type Schema = JsonObject | boolean;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === "number") return actual === "number" || actual === "integer";
  return actual === type;
}

/** JSON equality as JSON Schema defines it: object key order does not matter. */
function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== "object" || typeof right !== "object" || left === null || right === null) return false;
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    return left.every((item, index) => deepEqual(item, right[index]));
  }
  const leftKeys = Object.keys(left);
  const rightRecord = right as Record<string, unknown>;
  if (leftKeys.length !== Object.keys(rightRecord).length) return false;
  return leftKeys.every(
    (key) =>
      Object.hasOwn(rightRecord, key) && deepEqual((left as Record<string, unknown>)[key], rightRecord[key]),
  );
}

function resolveRef(root: JsonObject, ref: string): Schema | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === "boolean" || (typeof node === "object" && node !== null)
    ? (node as Schema)
    : undefined;
}

function check(
  value: unknown,
  schema: Schema,
  path: string,
  root: JsonObject,
  issues: JsonSchemaIssue[],
): void {
  if (schema === true) return;
  if (schema === false) {
    issues.push({ path, message: "no value is allowed here" });
    return;
  }
  if (typeof schema.$ref === "string") {
    const target = resolveRef(root, schema.$ref);
    if (target === undefined) issues.push({ path, message: `unresolvable $ref ${schema.$ref}` });
    else check(value, target, path, root, issues);
  }
  const nullable = schema.nullable === true && value === null;
  if (schema.type !== undefined && !nullable) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => typeof type === "string" && matchesType(value, type))) {
      issues.push({ path, message: `expected ${types.join(" or ")}, got ${typeOf(value)}` });
      return;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => deepEqual(option, value))) {
    issues.push({ path, message: `must be one of ${JSON.stringify(schema.enum)}` });
  }
  if ("const" in schema && !deepEqual(schema.const, value)) {
    issues.push({ path, message: `must be ${JSON.stringify(schema.const)}` });
  }
  checkNumber(value, schema, path, issues);
  checkString(value, schema, path, issues);
  checkArray(value, schema, path, root, issues);
  checkObject(value, schema, path, root, issues);
  checkCombinators(value, schema, path, root, issues);
}

function checkNumber(value: unknown, schema: JsonObject, path: string, issues: JsonSchemaIssue[]): void {
  if (typeof value !== "number") return;
  const bound = (key: string) => (typeof schema[key] === "number" ? (schema[key] as number) : undefined);
  const minimum = bound("minimum");
  const maximum = bound("maximum");
  const exclusiveMinimum = bound("exclusiveMinimum");
  const exclusiveMaximum = bound("exclusiveMaximum");
  if (minimum !== undefined && value < minimum) issues.push({ path, message: `must be >= ${minimum}` });
  if (maximum !== undefined && value > maximum) issues.push({ path, message: `must be <= ${maximum}` });
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum)
    issues.push({ path, message: `must be > ${exclusiveMinimum}` });
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum)
    issues.push({ path, message: `must be < ${exclusiveMaximum}` });
}

function checkString(value: unknown, schema: JsonObject, path: string, issues: JsonSchemaIssue[]): void {
  if (typeof value !== "string") return;
  const length = [...value].length;
  if (typeof schema.minLength === "number" && length < schema.minLength)
    issues.push({ path, message: `must have at least ${schema.minLength} characters` });
  if (typeof schema.maxLength === "number" && length > schema.maxLength)
    issues.push({ path, message: `must have at most ${schema.maxLength} characters` });
  if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value))
    issues.push({ path, message: `must match /${schema.pattern}/` });
}

function checkArray(
  value: unknown,
  schema: JsonObject,
  path: string,
  root: JsonObject,
  issues: JsonSchemaIssue[],
): void {
  if (!Array.isArray(value)) return;
  if (typeof schema.minItems === "number" && value.length < schema.minItems)
    issues.push({ path, message: `must have at least ${schema.minItems} items` });
  if (typeof schema.maxItems === "number" && value.length > schema.maxItems)
    issues.push({ path, message: `must have at most ${schema.maxItems} items` });
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : [];
  value.forEach((item, index) => {
    const itemSchema = index < prefix.length ? prefix[index] : (schema.items as Schema | undefined);
    if (itemSchema !== undefined && itemSchema !== null && !Array.isArray(itemSchema))
      check(item, itemSchema, `${path}[${index}]`, root, issues);
  });
  if (schema.uniqueItems === true) {
    const duplicated = value.some((item, index) =>
      value.slice(0, index).some((earlier) => deepEqual(earlier, item)),
    );
    if (duplicated) issues.push({ path, message: "items must be unique" });
  }
}

function checkObject(
  value: unknown,
  schema: JsonObject,
  path: string,
  root: JsonObject,
  issues: JsonSchemaIssue[],
): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  const record = value as Record<string, unknown>;
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  if (Array.isArray(schema.required)) {
    for (const name of schema.required) {
      if (typeof name === "string" && record[name] === undefined)
        issues.push({ path: `${path}.${name}`, message: "is required" });
    }
  }
  for (const [name, item] of Object.entries(record)) {
    if (item === undefined) continue;
    const propertySchema = properties[name];
    if (propertySchema !== undefined) check(item, propertySchema, `${path}.${name}`, root, issues);
    else if (schema.additionalProperties === false)
      issues.push({ path: `${path}.${name}`, message: "is not an allowed property" });
    else if (typeof schema.additionalProperties === "object" && schema.additionalProperties !== null)
      check(item, schema.additionalProperties as JsonObject, `${path}.${name}`, root, issues);
  }
}

function checkCombinators(
  value: unknown,
  schema: JsonObject,
  path: string,
  root: JsonObject,
  issues: JsonSchemaIssue[],
): void {
  const passes = (option: Schema) => {
    const found: JsonSchemaIssue[] = [];
    check(value, option, path, root, found);
    return found;
  };
  if (Array.isArray(schema.allOf))
    for (const option of schema.allOf as Schema[]) check(value, option, path, root, issues);
  if (Array.isArray(schema.anyOf)) {
    const results = (schema.anyOf as Schema[]).map(passes);
    if (!results.some((found) => found.length === 0)) {
      const closest = results.reduce((best, found) => (found.length < best.length ? found : best));
      issues.push(...(closest.length > 0 ? closest : [{ path, message: "matches no allowed alternative" }]));
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = (schema.oneOf as Schema[]).filter((option) => passes(option).length === 0).length;
    if (matching !== 1)
      issues.push({ path, message: `must match exactly one alternative (matched ${matching})` });
  }
  if (schema.not !== undefined && typeof schema.not === "object" && passes(schema.not as Schema).length === 0)
    issues.push({ path, message: "must not match the excluded schema" });
}

/**
 * Validates a value against a JSON schema. Returns every problem found (empty when valid).
 *
 * @example
 * validateJsonSchema({ a: "x" }, { type: "object", properties: { a: { type: "number" } } })
 * // [{ path: "$.a", message: "expected number, got string" }]
 */
export function validateJsonSchema(value: unknown, schema: JsonObject | boolean): JsonSchemaIssue[] {
  const issues: JsonSchemaIssue[] = [];
  check(value, schema, "$", typeof schema === "object" ? schema : {}, issues);
  return issues;
}

/**
 * The issues as one line, for error messages and tool results.
 *
 * @example
 * formatJsonSchemaIssues([{ path: "$.a", message: "is required" }]) // "$.a: is required"
 */
export function formatJsonSchemaIssues(issues: readonly JsonSchemaIssue[], limit = 5): string {
  const shown = issues.slice(0, limit).map((issue) => `${issue.path}: ${issue.message}`);
  const more = issues.length > limit ? ` (and ${issues.length - limit} more)` : "";
  return `${shown.join("; ")}${more}`;
}
