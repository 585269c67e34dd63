/**
 * OpenAI strict mode's rules for JSON schemas, checked before a request so a schema it cannot take fails with
 * the path and the rule. Pure, no dependencies.
 */
import type { JsonObject, JsonValue } from "../turns/json.ts";

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keywords OpenAI's strict mode refuses, with the rule to show. */
const STRICT_UNSUPPORTED: Record<string, string> = {
  patternProperties: "patternProperties is not supported",
  propertyNames: "propertyNames is not supported",
  unevaluatedProperties: "unevaluatedProperties is not supported",
  unevaluatedItems: "unevaluatedItems is not supported",
  dependentRequired: "dependentRequired is not supported",
  dependentSchemas: "dependentSchemas is not supported",
  if: "if/then/else is not supported",
  not: "not is not supported",
  allOf: "allOf is not supported (merge the schemas)",
  contains: "contains is not supported",
  prefixItems: "prefixItems (tuples) is not supported",
};

/**
 * The strict-mode problems of a JSON schema, each as `path: rule` (empty when strict mode accepts it).
 *
 * @example
 * strictModeProblems({ type: "object", properties: { tags: { type: "object", additionalProperties: { type: "string" } } } })
 * // ["$.properties.tags: additionalProperties must be false (records and maps cannot be expressed in strict mode)"]
 */
export function strictModeProblems(schema: JsonObject): string[] {
  const problems: string[] = [];
  if (schema.type !== "object") problems.push(`$: the root must be an object (type "object")`);
  const visit = (node: JsonValue, path: string): void => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) visit(item, `${path}[${index}]`);
      return;
    }
    if (!isObject(node)) return;
    for (const key of Object.keys(node)) {
      const rule = STRICT_UNSUPPORTED[key];
      if (rule) problems.push(`${path}: ${rule} in strict mode`);
    }
    const additional = node.additionalProperties;
    if (additional !== undefined && additional !== false) {
      problems.push(
        `${path}: additionalProperties must be false (records and maps cannot be expressed in strict mode)`,
      );
    }
    for (const key of ["properties", "$defs", "definitions"]) {
      const children = node[key];
      if (isObject(children))
        for (const [name, child] of Object.entries(children)) visit(child, `${path}.${key}.${name}`);
    }
    for (const key of ["items", "anyOf", "oneOf"])
      if (node[key] !== undefined) visit(node[key]!, `${path}.${key}`);
  };
  visit(schema, "$");
  return problems;
}
