/**
 * A check of settings without zod, for the shapes almost every run has (the model, the keys and base URLs, the
 * sampling knobs, the client limits, the model's prices, the store). zod costs more to load than the rest of
 * `geppetto run` together, so the settings loader asks this check first and builds the zod schema only when this
 * one cannot vouch for a value: a section it does not know (a provider's block, `inference`, `mcp`, structured
 * output), an alias to normalize beyond the api type, or anything invalid. zod then gives the verdict and the
 * error message, so messages stay exactly zod's.
 *
 * What it accepts, zod accepts with the same output, keys in the same (the schema's) order: the test compares the
 * two on generated values (quick-check.test.ts).
 */
import { findProvider, listProviders, registryVersion } from "../provider-kit/registry.ts";

/** A leaf's verdict: the value zod would output, or REJECT (left to zod). */
const REJECT = Symbol("left to zod");
type Leaf = (value: unknown) => unknown;
interface Shape {
  readonly [key: string]: Leaf | Shape;
}

const text: Leaf = (value) => (typeof value === "string" ? value : REJECT);
const nonEmpty: Leaf = (value) => (typeof value === "string" && value.length > 0 ? value : REJECT);
const flag: Leaf = (value) => (typeof value === "boolean" ? value : REJECT);
const between =
  (min: number, max: number): Leaf =>
  (value) =>
    typeof value === "number" && Number.isFinite(value) && value >= min && value <= max ? value : REJECT;
const atLeast = (min: number): Leaf => between(min, Number.POSITIVE_INFINITY);
const whole =
  (min: number): Leaf =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min ? value : REJECT;
const texts: Leaf = (value) =>
  Array.isArray(value) && value.every((item) => typeof item === "string") ? [...value] : REJECT;
/** An api type as zod stores it: the provider's id (aliases too: zod maps them the same way). */
const apiType: Leaf = (value) => (typeof value === "string" ? (findProvider(value)?.id ?? REJECT) : REJECT);
/** A URL zod's `z.url()` keeps as it is: parseable, no surrounding space, no tab or newline inside. */
const url: Leaf = (value) =>
  typeof value === "string" && value === value.trim() && !/[\t\n\r]/.test(value) && URL.canParse(value)
    ? value
    : REJECT;
/** `store`: both fields required, a postgres store on a postgres:// URL. */
const store: Leaf = (value) => {
  const checked = walk({ kind: text, url: nonEmpty }, value) as
    | { kind?: string; url?: string }
    | typeof REJECT;
  if (checked === REJECT || checked.url === undefined) return REJECT;
  if (checked.kind === "sqlite") return checked;
  return checked.kind === "postgres" && /^postgres(ql)?:\/\//.test(checked.url) ? checked : REJECT;
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The object zod outputs for `value` (keys in the shape's order), or REJECT. Undefined values are left to zod. */
function walk(shape: Shape, value: unknown): unknown {
  if (!isPlainObject(value)) return REJECT;
  for (const key of Object.keys(value)) if (!Object.hasOwn(shape, key)) return REJECT;
  const output: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(shape)) {
    if (!Object.hasOwn(value, key)) continue;
    const given = value[key];
    if (given === undefined) return REJECT;
    const checked = typeof rule === "function" ? rule(given) : walk(rule, given);
    if (checked === REJECT) return REJECT;
    output[key] = checked;
  }
  return output;
}

/** The part of the settings schema this check knows, in the schema's key order (see schema.ts). */
function buildShape(): Shape {
  const endpoint: Shape = { apiKey: nonEmpty, baseURL: url };
  const api: Record<string, Shape> = {};
  const providers = listProviders();
  for (const provider of providers) api[provider.settingsKey] ??= endpoint;
  const top: Record<string, Leaf | Shape> = {
    api,
    chat: {
      apiType,
      profile: nonEmpty,
      engine: nonEmpty,
      temperature: between(0, 2),
      topP: between(0, 1),
      maxResponseTokens: whole(1),
      stop: texts,
      stream: flag,
    },
    client: {
      timeoutMs: whole(1),
      firstByteTimeoutMs: whole(1),
      idleTimeoutMs: whole(1),
      maxRetries: whole(0),
      userAgent: text,
    },
    embeddings: { apiType: nonEmpty, engine: nonEmpty, dimensions: whole(1), batchSize: whole(1) },
    modelInfo: {
      reasoning: flag,
      contextWindow: whole(1),
      maxOutputTokens: whole(1),
      prices: {
        inputPerMillion: atLeast(0),
        outputPerMillion: atLeast(0),
        cachedInputPerMillion: atLeast(0),
        cacheWritePerMillion: atLeast(0),
      },
    },
    store,
  };
  // A provider's own block under one of these names would be checked by its schema: leave the name to zod.
  for (const provider of providers) if (provider.config) delete top[provider.config.key];
  return top;
}

let cached: { version: number; shape: Shape } | undefined;

/**
 * The settings as the settings schema would output them, when this check can vouch for every value; undefined
 * when zod must decide (unknown section, invalid value…).
 *
 * @example
 * quickParseSettings({ chat: { stream: true, apiType: "claude" } }) // { chat: { apiType: "anthropic", stream: true } }
 * quickParseSettings({ chat: { temperature: 9 } }) // undefined: zod reports it
 */
export function quickParseSettings(values: Record<string, unknown>): Record<string, unknown> | undefined {
  if (cached?.version !== registryVersion()) cached = { version: registryVersion(), shape: buildShape() };
  const output = walk(cached.shape, values);
  return output === REJECT ? undefined : (output as Record<string, unknown>);
}
