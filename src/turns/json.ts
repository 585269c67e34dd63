/**
 * JSON values: the only things a Turn may hold, so that every Turn survives JSON and YAML unchanged.
 */

/** A value that JSON can represent exactly. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Returns the path of the first part of `value` that is not JSON-serializable, or `undefined` when it all is.
 * Rejects what `JSON.stringify` would silently drop or change: `undefined`, functions, symbols, bigints,
 * non-finite numbers, class instances (Date, Map, …) and cycles.
 *
 * @example
 * findNonJson({ a: [1, () => 1] }) // => { path: "a[1]", reason: "function" }
 */
export function findNonJson(value: unknown, path = "$"): { path: string; reason: string } | undefined {
  return walk(value, path, new Set());
}

function walk(value: unknown, path: string, seen: Set<object>): { path: string; reason: string } | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : { path, reason: `non-finite number ${value}` };
    case "object": {
      if (value === null) return undefined;
      if (seen.has(value)) return { path, reason: "cycle" };
      if (Array.isArray(value)) {
        seen.add(value);
        for (let index = 0; index < value.length; index++) {
          const found = walk(value[index], `${path}[${index}]`, seen);
          if (found) return found;
        }
        seen.delete(value);
        return undefined;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) {
        return { path, reason: `instance of ${value.constructor?.name ?? "a class"}` };
      }
      seen.add(value);
      for (const [key, child] of Object.entries(value)) {
        const found = walk(child, `${path}.${key}`, seen);
        if (found) return found;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return { path, reason: typeof value };
  }
}

/** True when `value` is a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of a JSON value: new arrays and objects, the same strings (so a copy of a metadata value costs its
 * containers, not its text, as `structuredClone` would). Values frozen by `deepFreeze` are immutable and shared.
 *
 * @example
 * const copy = copyJson({ usage: { inputTokens: 3 } });
 */
export function copyJson<T extends JsonValue>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) return value.map((item) => copyJson(item)) as T;
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) {
    // defineProperty, not assignment, so a "__proto__" key stays data
    Object.defineProperty(copy, key, {
      value: copyJson((value as JsonObject)[key]!),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy as T;
}
