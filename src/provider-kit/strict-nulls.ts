/**
 * OpenAI strict mode makes every property required and the optional ones nullable, so a model answers `null` for
 * an optional argument it means to leave out. Checked against the tool's own schema, that `null` is an error;
 * {@link dropStrictNulls} turns it back into "absent".
 */
import type { JsonObject, JsonValue } from "../turns/json.ts";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Removes `null` values of properties the original schema does not require (at every object level the schema
 * describes), leaving everything else as it is. A `null` the original schema allows (`type: ["string", "null"]`
 * on a required property) stays.
 *
 * @example
 * dropStrictNulls({ city: "Oslo", unit: null }, { type: "object", properties: { city: {}, unit: {} }, required: ["city"] })
 * // { city: "Oslo" }
 */
export function dropStrictNulls(value: JsonValue, schema: unknown): JsonValue {
  if (!isObject(schema)) return value;
  if (Array.isArray(value)) {
    return isObject(schema.items) ? value.map((item) => dropStrictNulls(item, schema.items)) : value;
  }
  if (!isObject(value) || !isObject(schema.properties)) return value;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const properties = schema.properties;
  const out: JsonObject = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry === null && !required.has(key) && key in properties) continue;
    out[key] = entry === undefined ? entry : dropStrictNulls(entry, properties[key]);
  }
  return out;
}

/**
 * The arguments text of a strict-mode call with the nulls of optional properties removed; the text as it is when
 * it is not JSON or nothing changes.
 *
 * @example
 * strictArgumentsText('{"city":"Oslo","unit":null}', schema) // '{"city":"Oslo"}'
 */
export function strictArgumentsText(text: string, schema: unknown): string {
  if (!text.includes("null")) return text;
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
  const cleaned = dropStrictNulls(parsed, schema);
  return cleaned === parsed ? text : JSON.stringify(cleaned);
}
