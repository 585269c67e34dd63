/**
 * The schema rules of Anthropic's structured outputs and of Gemini's response schema (`responseJsonSchema`), as
 * OpenAI strict mode's are in `strict-mode.ts`: what a provider cannot take at all fails before any request, naming
 * the path and the rule; what it only cannot enforce (a length, a bound, a pattern) is taken out of the schema it
 * is sent, noted in the description for the model, and still checked by the answer's validator. Pure.
 *
 * Anthropic (docs.claude.com, structured outputs, "JSON Schema limitations"): no recursive schemas, no external
 * `$ref`, `additionalProperties` only `false`, enum values only scalars, no `allOf` with `$ref`, no numeric,
 * length or item-count constraints beyond `minItems` 0 or 1, a fixed list of string formats.
 * Gemini (`GenerationConfig.responseJsonSchema`): a fixed list of keywords, enum values only strings and numbers,
 * cycles only under optional properties, nothing beside a `$ref` but `$` keywords.
 */
import type { JsonObject, JsonValue } from "../turns/json.ts";

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keywords holding one schema, a list of schemas, or a map of names to schemas. */
const SCHEMA_KEYS = ["items", "additionalProperties", "not", "if", "then", "else", "contains"];
const LIST_KEYS = ["prefixItems", "anyOf", "oneOf", "allOf"];
const MAP_KEYS = ["properties", "patternProperties", "$defs", "definitions"];

/** A `$ref` being followed: its target, and whether an optional property was passed since. */
interface RefFrame {
  ref: string;
  optionalSince: boolean;
}

interface Visitor {
  node(node: JsonObject, path: string): void;
  /** A `$ref` back into a schema being visited. */
  recursion(path: string, ref: string, optionalSince: boolean): void;
}

function resolveRef(root: JsonObject, ref: string): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const part of ref.replace(/^#\/?/, "").split("/").filter(Boolean)) {
    if (!isObject(node)) return undefined;
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

/** Visits every schema reachable from the root, following local `$ref`s once per chain. */
function visitSchema(root: JsonObject, visitor: Visitor): void {
  const visit = (node: JsonValue, path: string, stack: RefFrame[]): void => {
    if (!isObject(node)) return;
    visitor.node(node, path);
    const ref = node.$ref;
    if (typeof ref === "string" && ref.startsWith("#")) {
      const open = stack.find((frame) => frame.ref === ref);
      if (open) visitor.recursion(path, ref, open.optionalSince);
      else visit(resolveRef(root, ref) ?? null, path, [...stack, { ref, optionalSince: false }]);
    }
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    for (const key of MAP_KEYS) {
      const children = node[key];
      if (!isObject(children)) continue;
      for (const [name, child] of Object.entries(children)) {
        const optional = key === "properties" && !required.has(name);
        const frames = optional ? stack.map((frame) => ({ ...frame, optionalSince: true })) : stack;
        const defined = key === "$defs" || key === "definitions";
        const entered = defined ? [...frames, { ref: `#/${key}/${name}`, optionalSince: false }] : frames;
        visit(child, `${path}.${key}.${name}`, entered);
      }
    }
    for (const key of SCHEMA_KEYS) if (isObject(node[key])) visit(node[key], `${path}.${key}`, stack);
    for (const key of LIST_KEYS) {
      const list = node[key];
      if (Array.isArray(list)) {
        for (const [index, item] of list.entries()) visit(item, `${path}.${key}[${index}]`, stack);
      } else if (isObject(list)) visit(list, `${path}.${key}`, stack);
    }
  };
  visit(root, "$", [{ ref: "#", optionalSince: false }]);
}

/** Rewrites every schema bottom-up with `change` (children first). */
function mapSchema(node: JsonValue, change: (node: JsonObject) => JsonObject): JsonValue {
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (MAP_KEYS.includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, mapSchema(child, change)]),
      );
    } else if (SCHEMA_KEYS.includes(key) || LIST_KEYS.includes(key)) {
      out[key] = Array.isArray(value)
        ? value.map((item) => mapSchema(item, change))
        : mapSchema(value, change);
    } else out[key] = value;
  }
  return change(out);
}

/** Moves `keys` out of the schema into a note on its description (the validator still checks them). */
function noteAndDrop(node: JsonObject, keys: string[]): JsonObject {
  if (keys.length === 0) return node;
  const out: JsonObject = { ...node };
  const moved: JsonObject = {};
  for (const key of keys) {
    if (typeof node[key] !== "object" || node[key] === null) moved[key] = node[key]!;
    delete out[key];
  }
  if (Object.keys(moved).length > 0) {
    const note = JSON.stringify(moved);
    out.description = typeof node.description === "string" ? `${node.description}\n\n${note}` : note;
  }
  return out;
}

/** Zod's bounds of `.int()`: the safe-integer range, not a constraint worth a note. */
function isSafeIntegerBound(key: string, value: JsonValue | undefined): boolean {
  return (
    (key === "minimum" && value === Number.MIN_SAFE_INTEGER) ||
    (key === "maximum" && value === Number.MAX_SAFE_INTEGER)
  );
}

function dedupe(problems: string[]): string[] {
  return [...new Set(problems)];
}

const ANTHROPIC_UNSUPPORTED: Record<string, string> = {
  not: "not is not supported",
  if: "if/then/else is not supported",
  patternProperties: "patternProperties is not supported",
  propertyNames: "propertyNames is not supported",
  dependentRequired: "dependentRequired is not supported",
  dependentSchemas: "dependentSchemas is not supported",
  unevaluatedProperties: "unevaluatedProperties is not supported",
  unevaluatedItems: "unevaluatedItems is not supported",
  contains: "contains is not supported",
  prefixItems: "prefixItems (tuples) is not supported",
};
const ANTHROPIC_CONSTRAINTS = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
];
const ANTHROPIC_FORMATS = new Set([
  "date-time",
  "time",
  "date",
  "duration",
  "email",
  "hostname",
  "uri",
  "ipv4",
  "ipv6",
  "uuid",
]);

/**
 * What Anthropic's structured outputs cannot take in a JSON schema, each as `path: rule` (empty when it can).
 *
 * @example
 * anthropicSchemaProblems({ type: "object", properties: { next: { $ref: "#" } } })
 * // ['$.properties.next: recursive schemas are not supported ($ref "#") in Anthropic structured outputs']
 */
export function anthropicSchemaProblems(schema: JsonObject): string[] {
  const problems: string[] = [];
  const where = " in Anthropic structured outputs";
  const reported = new Set<string>();
  visitSchema(schema, {
    node(node, path) {
      for (const key of Object.keys(node)) {
        const rule = ANTHROPIC_UNSUPPORTED[key];
        if (rule) problems.push(`${path}: ${rule}${where}`);
      }
      if (node.additionalProperties !== undefined && node.additionalProperties !== false) {
        problems.push(
          `${path}: additionalProperties must be false (records and maps cannot be expressed)${where}`,
        );
      }
      if (
        Array.isArray(node.enum) &&
        node.enum.some((value) => typeof value === "object" && value !== null)
      ) {
        problems.push(`${path}: enum values must be strings, numbers, booleans or null${where}`);
      }
      if (Array.isArray(node.allOf) && node.allOf.some((item) => isObject(item) && item.$ref !== undefined)) {
        problems.push(`${path}: allOf with $ref is not supported${where}`);
      }
      if (typeof node.$ref === "string" && !node.$ref.startsWith("#")) {
        problems.push(`${path}: external $ref ${JSON.stringify(node.$ref)} is not supported${where}`);
      }
    },
    recursion(path, ref) {
      if (reported.has(ref)) return; // one problem per cycle, at the first place it closes
      reported.add(ref);
      problems.push(`${path}: recursive schemas are not supported ($ref ${JSON.stringify(ref)})${where}`);
    },
  });
  return dedupe(problems);
}

/**
 * The schema sent to Anthropic: every object closed (`additionalProperties: false`), and the constraints it cannot
 * enforce (bounds, lengths, `minItems` above 1, other string formats) moved into the description.
 *
 * @example
 * toAnthropicSchema({ type: "object", properties: { name: { type: "string", maxLength: 20 } } })
 * // { type: "object", properties: { name: { type: "string", description: '{"maxLength":20}' } }, additionalProperties: false }
 */
export function toAnthropicSchema(schema: JsonObject): JsonObject {
  return mapSchema(schema, (node) => {
    const drop = ANTHROPIC_CONSTRAINTS.filter((key) => node[key] !== undefined);
    if (typeof node.minItems === "number" && node.minItems > 1) drop.push("minItems");
    if (typeof node.format === "string" && !ANTHROPIC_FORMATS.has(node.format)) drop.push("format");
    const silent = drop.filter((key) => isSafeIntegerBound(key, node[key]));
    const noted = noteAndDrop(
      node,
      drop.filter((key) => !silent.includes(key)),
    );
    for (const key of silent) delete noted[key];
    if ((noted.type === "object" || isObject(noted.properties)) && noted.additionalProperties === undefined) {
      noted.additionalProperties = false;
    }
    return noted;
  }) as JsonObject;
}

const GEMINI_KEYWORDS = new Set([
  "$id",
  "$defs",
  "$ref",
  "$anchor",
  "type",
  "format",
  "title",
  "description",
  "enum",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "anyOf",
  "oneOf",
  "properties",
  "additionalProperties",
  "required",
  "propertyOrdering",
]);

/**
 * What Gemini's response schema cannot take, each as `path: rule` (empty when it can).
 *
 * @example
 * geminiSchemaProblems({ type: "object", properties: { flag: { enum: [true, false] } } })
 * // ["$.properties.flag: enum values must be strings or numbers in Gemini's response schema"]
 */
export function geminiSchemaProblems(schema: JsonObject): string[] {
  const problems: string[] = [];
  const where = " in Gemini's response schema";
  visitSchema(schema, {
    node(node, path) {
      if (
        Array.isArray(node.enum) &&
        node.enum.some((value) => typeof value !== "string" && typeof value !== "number")
      ) {
        problems.push(
          `${path}: enum values must be strings or numbers (make a nullable enum anyOf the enum and type "null")${where}`,
        );
      }
      if (node.allOf !== undefined)
        problems.push(`${path}: allOf is not supported (merge the schemas)${where}`);
      if (typeof node.$ref === "string" && !node.$ref.startsWith("#")) {
        problems.push(`${path}: external $ref ${JSON.stringify(node.$ref)} is not supported${where}`);
      }
    },
    recursion(path, ref, optionalSince) {
      if (optionalSince) return;
      problems.push(
        `${path}: a recursive $ref (${JSON.stringify(ref)}) must sit under an optional property: Gemini unrolls cycles only there${where}`,
      );
    },
  });
  return dedupe(problems);
}

/**
 * The schema sent to Gemini: `const` as a one-value `enum`, `definitions` as `$defs`, nothing but `$` keywords
 * beside a `$ref`, and every keyword Gemini does not know taken out (scalar ones noted in the description).
 *
 * @example
 * toGeminiSchema({ type: "object", properties: { code: { type: "string", pattern: "^[A-Z]{3}$" } } })
 * // { type: "object", properties: { code: { type: "string", description: '{"pattern":"^[A-Z]{3}$"}' } } }
 */
export function toGeminiSchema(schema: JsonObject): JsonObject {
  const renamed: JsonObject = { ...schema };
  if (isObject(schema.definitions) && schema.$defs === undefined) {
    renamed.$defs = schema.definitions;
    delete renamed.definitions;
  }
  return mapSchema(renamed, (node) => {
    let out = node;
    if (typeof out.$ref === "string") {
      const ref = out.$ref.replace(/^#\/definitions\//, "#/$defs/");
      out = Object.fromEntries(Object.entries(out).filter(([key]) => key.startsWith("$")));
      out.$ref = ref;
      return out;
    }
    if (typeof out.const === "string" || typeof out.const === "number") {
      const { const: value, ...rest } = out;
      out = { ...rest, enum: [value] };
    }
    if (out.$schema !== undefined) {
      const { $schema: _dialect, ...rest } = out;
      out = rest;
    }
    return noteAndDrop(
      out,
      Object.keys(out).filter((key) => !GEMINI_KEYWORDS.has(key)),
    );
  }) as JsonObject;
}
