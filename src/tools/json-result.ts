/**
 * Tool results as JSON: the value a tool returned, converted the way `JSON.stringify` would, or the path of the
 * first part that is not JSON (a BigInt, a function, a circular reference, a getter that throws, a Map…), so the
 * executor can return an error result that names it instead of `"[object Object]"`.
 */
import type { JsonValue } from "../turns/json.ts";

/** The converted value, or where and why it is not JSON. */
export type JsonResultOutcome = { ok: true; value: JsonValue } | { ok: false; path: string; problem: string };

class NotJson extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path} is ${problem}`);
  }
}

const NOT_JSON_CLASSES: [new (...args: never[]) => unknown, string][] = [
  [Map, "a Map (convert it to an object or an array)"],
  [Set, "a Set (convert it to an array)"],
  [WeakMap, "a WeakMap"],
  [WeakSet, "a WeakSet"],
  [Promise, "a Promise (await it)"],
  [Error, "an Error (return its message)"],
];

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function convert(value: unknown, path: string, open: Set<object>): JsonValue | undefined {
  let current = value;
  if (
    typeof current === "object" &&
    current !== null &&
    typeof (current as { toJSON?: unknown }).toJSON === "function"
  ) {
    try {
      current = (current as { toJSON(key: string): unknown }).toJSON("");
    } catch (error) {
      throw new NotJson(
        path,
        `an object whose toJSON() threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  switch (typeof current) {
    case "string":
    case "boolean":
      return current;
    case "number":
      if (!Number.isFinite(current)) throw new NotJson(path, `${current} (not a finite number)`);
      return current;
    case "bigint":
      throw new NotJson(path, "a BigInt (convert it to a number or a string)");
    case "function":
      throw new NotJson(path, "a function");
    case "symbol":
      throw new NotJson(path, "a symbol");
    case "undefined":
      return undefined;
  }
  if (current === null) return null;
  const object = current as object;
  for (const [type, problem] of NOT_JSON_CLASSES)
    if (object instanceof type) throw new NotJson(path, problem);
  if (open.has(object)) throw new NotJson(path, "a circular reference (an object that contains itself)");
  open.add(object);
  try {
    if (Array.isArray(object)) {
      return object.map((item, index) => convert(item, `${path}[${index}]`, open) ?? null);
    }
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(object)) {
      const here = keyPath(path, key);
      let item: unknown;
      try {
        item = (object as Record<string, unknown>)[key];
      } catch (error) {
        throw new NotJson(
          here,
          `a getter that threw: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const converted = convert(item, here, open);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  } finally {
    open.delete(object);
  }
}

/**
 * Converts a tool's return value to JSON like `JSON.stringify` (toJSON honoured, undefined properties dropped,
 * undefined alone becomes null), or says where it is not JSON.
 *
 * @example
 * jsonResultOf({ total: 10n }) // { ok: false, path: "$.total", problem: "a BigInt (convert it to a number or a string)" }
 */
export function jsonResultOf(value: unknown): JsonResultOutcome {
  try {
    return { ok: true, value: convert(value, "$", new Set()) ?? null };
  } catch (error) {
    if (error instanceof NotJson) return { ok: false, path: error.path, problem: error.problem };
    if (error instanceof RangeError) return { ok: false, path: "$", problem: "nested too deeply to convert" };
    throw error;
  }
}
