/**
 * Checks a tool's input JSON schema when the tool is defined, so a schema every provider would refuse (a string
 * as the input, `type: "bogus"`, `required` naming a property that does not exist) fails at `defineTool` with the
 * path of the problem, not later as an HTTP 400 from the provider.
 */
import { CallerError } from "../engine/errors.ts";
import type { JsonObject } from "../turns/json.ts";

const TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);
/** Keywords holding one subschema. */
const SINGLE = ["items", "additionalProperties", "not", "contains", "if", "then", "else", "propertyNames"];
/** Keywords holding a list of subschemas. */
const LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
/** Keywords holding a map of subschemas. */
const MAPS = ["properties", "$defs", "definitions", "patternProperties"];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkSchema(schema: unknown, path: string, problems: string[]): void {
  if (typeof schema === "boolean") return;
  if (!isObject(schema)) {
    problems.push(`${path}: a schema must be an object or a boolean (got ${JSON.stringify(schema)})`);
    return;
  }
  const type = schema.type;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    for (const each of types) {
      if (typeof each !== "string" || !TYPES.has(each)) {
        problems.push(
          `${path}.type: ${JSON.stringify(each)} is not a JSON Schema type (${[...TYPES].join(", ")})`,
        );
      }
    }
  }
  const properties = schema.properties;
  if (properties !== undefined && !isObject(properties)) {
    problems.push(`${path}.properties: must be an object mapping names to schemas`);
  }
  const required = schema.required;
  if (required !== undefined) {
    if (!Array.isArray(required) || required.some((name) => typeof name !== "string")) {
      problems.push(`${path}.required: must be an array of property names`);
    } else {
      const declared = isObject(properties) ? properties : {};
      for (const name of required as string[]) {
        if (!Object.hasOwn(declared, name)) {
          problems.push(`${path}.required: names "${name}", which is not in ${path}.properties`);
        }
      }
    }
  }
  if (schema.enum !== undefined && (!Array.isArray(schema.enum) || schema.enum.length === 0)) {
    problems.push(`${path}.enum: must be a non-empty array`);
  }
  for (const keyword of SINGLE) {
    const value = schema[keyword];
    if (value === undefined) continue;
    // `items` as an array is the older tuple form.
    if (keyword === "items" && Array.isArray(value)) {
      for (const [index, item] of value.entries()) checkSchema(item, `${path}.items[${index}]`, problems);
    } else checkSchema(value, `${path}.${keyword}`, problems);
  }
  for (const keyword of LISTS) {
    const value = schema[keyword];
    if (value === undefined) continue;
    if (!Array.isArray(value)) problems.push(`${path}.${keyword}: must be an array of schemas`);
    else
      for (const [index, item] of value.entries())
        checkSchema(item, `${path}.${keyword}[${index}]`, problems);
  }
  for (const keyword of MAPS) {
    const value = schema[keyword];
    if (!isObject(value)) continue;
    for (const [name, item] of Object.entries(value))
      checkSchema(item, `${path}.${keyword}.${name}`, problems);
  }
}

/**
 * Throws a CallerError (code `invalid_tool_schema`) naming every problem of a tool input schema and its path:
 * the root must describe an object; every `type` must be a JSON Schema type; every `required` name must be a
 * declared property; `properties` must be an object and `enum` a non-empty array.
 *
 * @example
 * checkToolInputSchema({ type: "object", properties: {}, required: ["city"] }, 'tool "weather" input')
 * // throws: tool "weather" input: $.required: names "city", which is not in $.properties
 */
export function checkToolInputSchema(schema: JsonObject, where: string): void {
  const problems: string[] = [];
  if (schema.type !== undefined && schema.type !== "object") {
    problems.push(
      `$.type: the input must describe an object (the tool's arguments), got ${JSON.stringify(schema.type)}`,
    );
  } else if (schema.type === undefined && (schema.anyOf !== undefined || schema.oneOf !== undefined)) {
    problems.push(`$: the input must describe one object (type "object"), not a union`);
  }
  checkSchema(schema, "$", problems);
  if (problems.length > 0) {
    throw new CallerError(`${where}: ${problems.slice(0, 5).join("; ")}`, { code: "invalid_tool_schema" });
  }
}
