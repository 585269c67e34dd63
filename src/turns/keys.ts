/**
 * Typed, versioned keys (`namespace.name@v1`) for Turn data, Turn metadata and Block metadata.
 *
 * A key knows its value type; `get` validates with the key's schema when one is given (so a value loaded from a
 * file is checked, not trusted), and `set` refuses values that JSON cannot represent. Both return new values and
 * never change their argument.
 */
import type { z } from "zod";
import { copyJson, findNonJson, type JsonValue } from "./json.ts";
import type { Block, Turn } from "./types.ts";

const KEY_PART = /^[A-Za-z0-9_.-]+$/;

/** Builds the id of a key: `namespace.name@vN`. */
export function keyId(namespace: string, name: string, version: number): string {
  if (!KEY_PART.test(namespace)) throw new TypeError(`invalid key namespace ${JSON.stringify(namespace)}`);
  if (!KEY_PART.test(name)) throw new TypeError(`invalid key name ${JSON.stringify(name)}`);
  if (!Number.isInteger(version) || version < 1) throw new TypeError(`invalid key version ${version}`);
  return `${namespace}.${name}@v${version}`;
}

/**
 * The schema a key validates its value with: a zod schema, or a function returning one (built on first use, so
 * declaring a key costs nothing at import).
 */
export type KeySchema<T> = z.ZodType<T> | (() => z.ZodType<T>);

/** Thrown when a stored value does not match its key's schema. */
export class KeyValueError extends Error {
  override name = "KeyValueError";
}

abstract class TypedKey<T, Holder> {
  readonly id: string;
  readonly #schema: KeySchema<T> | undefined;

  constructor(namespace: string, name: string, version: number, schema?: KeySchema<T>) {
    this.id = keyId(namespace, name, version);
    this.#schema = schema;
  }

  protected abstract bag(holder: Holder): Record<string, JsonValue>;
  protected abstract withBag(holder: Holder, bag: Record<string, JsonValue>): Holder;
  protected abstract where: string;

  /** The value under this key, or `undefined`. Validated when the key has a schema. */
  get(holder: Holder): T | undefined {
    const raw = this.bag(holder)[this.id];
    if (raw === undefined) return undefined;
    if (!this.#schema) return raw as T;
    const schema = typeof this.#schema === "function" ? this.#schema() : this.#schema;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue && issue.path.length > 0 ? `.${issue.path.join(".")}` : "";
      throw new KeyValueError(`${this.where}["${this.id}"]${at}: ${issue?.message ?? "invalid value"}`);
    }
    return parsed.data;
  }

  /** True when a value is stored under this key. */
  has(holder: Holder): boolean {
    return this.bag(holder)[this.id] !== undefined;
  }

  /** Returns a copy of `holder` with `value` stored under this key. Throws if `value` is not JSON. */
  set(holder: Holder, value: T): Holder {
    const problem = findNonJson(value, `${this.where}["${this.id}"]`);
    if (problem) throw new TypeError(`${problem.path}: not JSON-serializable (${problem.reason})`);
    return this.withBag(holder, { ...this.bag(holder), [this.id]: copyJson(value as JsonValue) });
  }

  /** Returns a copy of `holder` without this key. */
  delete(holder: Holder): Holder {
    const { [this.id]: _removed, ...rest } = this.bag(holder);
    return this.withBag(holder, rest);
  }
}

/** A key into `Turn.data`: inputs for the next inference. */
export class TurnDataKey<T> extends TypedKey<T, Turn> {
  protected where = "turn.data";
  protected bag(turn: Turn) {
    return turn.data;
  }
  protected withBag(turn: Turn, data: Record<string, JsonValue>): Turn {
    return { ...turn, data };
  }
}

/** A key into `Turn.metadata`: facts about what happened. */
export class TurnMetadataKey<T> extends TypedKey<T, Turn> {
  protected where = "turn.metadata";
  protected bag(turn: Turn) {
    return turn.metadata;
  }
  protected withBag(turn: Turn, metadata: Record<string, JsonValue>): Turn {
    return { ...turn, metadata };
  }
}

/** A key into `Block.metadata`. */
export class BlockMetadataKey<T> extends TypedKey<T, Block> {
  protected where = "block.metadata";
  protected bag(block: Block) {
    return block.metadata;
  }
  protected withBag(block: Block, metadata: Record<string, JsonValue>): Block {
    return { ...block, metadata } as Block;
  }
}

/**
 * Declares a typed key into `Turn.data`.
 *
 * @example
 * const KeyToolConfig = turnDataKey<ToolConfig>("geppetto", "tool_config", 1);
 * KeyToolConfig.id // "geppetto.tool_config@v1"
 * const next = KeyToolConfig.set(turn, { maxIterations: 3 });
 */
export function turnDataKey<T>(namespace: string, name: string, version: number, schema?: KeySchema<T>) {
  return new TurnDataKey<T>(namespace, name, version, schema);
}

/** Declares a typed key into `Turn.metadata`. See {@link turnDataKey}. */
export function turnMetadataKey<T>(namespace: string, name: string, version: number, schema?: KeySchema<T>) {
  return new TurnMetadataKey<T>(namespace, name, version, schema);
}

/** Declares a typed key into `Block.metadata`. See {@link turnDataKey}. */
export function blockMetadataKey<T>(namespace: string, name: string, version: number, schema?: KeySchema<T>) {
  return new BlockMetadataKey<T>(namespace, name, version, schema);
}

/** Turn metadata: the session this turn belongs to. */
export const KeyTurnMetaSessionId = turnMetadataKey<string>("geppetto", "session_id", 1);
/** Turn metadata: the inference that produced this turn. */
export const KeyTurnMetaInferenceId = turnMetadataKey<string>("geppetto", "inference_id", 1);
/** Turn metadata: the provider that produced the latest output. */
export const KeyTurnMetaProvider = turnMetadataKey<string>("geppetto", "provider", 1);
/** Turn metadata: the model that produced the latest output. */
export const KeyTurnMetaModel = turnMetadataKey<string>("geppetto", "model", 1);
/** Block metadata: the provider that produced this block (used by the provider-switch policy). */
export const KeyBlockMetaProvider = blockMetadataKey<string>("geppetto", "provider", 1);
/** Block metadata: the inference that produced this block. */
export const KeyBlockMetaInferenceId = blockMetadataKey<string>("geppetto", "inference_id", 1);
