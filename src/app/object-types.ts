/**
 * The types of typed answers (what a schema is, what it validates to, a value still being written) and the key
 * the elements of an `output: "array"` answer travel under. No runtime dependencies: the core loads it cheaply.
 */
import type { StandardSchemaV1 } from "../tools/input-schema.ts";
import type { JsonObject } from "../turns/json.ts";

/**
 * A schema for a typed answer: zod, any Standard Schema (valibot, arktype…), or a JSON schema object.
 *
 * @example
 * const schema: ObjectSchema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
 */
export type ObjectSchema = StandardSchemaV1<unknown, unknown> | JsonObject;

/**
 * The type a schema validates to (`unknown` for a JSON schema).
 *
 * @example
 * type Person = InferObject<typeof PersonSchema>; // z.infer for zod, unknown for a JSON schema
 */
export type InferObject<S> = S extends StandardSchemaV1<unknown, infer Output> ? Output : unknown;

/**
 * A value still being written: every property optional, all the way down.
 *
 * @example
 * const partial: DeepPartial<{ user: { name: string } }> = { user: {} };
 */
export type DeepPartial<T> = T extends readonly (infer Element)[]
  ? DeepPartial<Element>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * How the answer is shaped: one object, or an array of elements (sent as `{ "elements": [...] }`).
 *
 * @example
 * generateObject({ model, schema: City, output: "array", prompt: "Five cities" }) // object: City[]
 */
export type ObjectOutput = "object" | "array";

/** The key the elements of an `output: "array"` answer travel under. */
export const ELEMENTS_KEY = "elements";
