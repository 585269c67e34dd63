/**
 * Structured output in `geppetto run`: the `--ai-structured-output-*` settings as the config the answer is
 * checked against (on every engine, the local default included), with a strict schema made strict-ready before
 * it reaches the provider.
 */
import type { StructuredOutputConfig } from "../engine/structured-output.ts";
import { structuredOutputProblems } from "../engine/structured-output.ts";
import type { LoadedSettings } from "../settings/load.ts";
import { UsageError } from "./usage.ts";

type Schema = Record<string, unknown>;

function isObjectSchema(schema: Schema): boolean {
  return schema.type === "object" || (schema.type === undefined && typeof schema.properties === "object");
}

/**
 * A copy of `schema` where every object schema says `additionalProperties: false` (what OpenAI's strict mode
 * requires); `added` counts the places that lacked it. An object schema that allows extra properties explicitly
 * cannot be strict: that is refused naming its path.
 *
 * @example
 * strictSchema({ type: "object", properties: { a: { type: "string" } } }, "schema").schema.additionalProperties // false
 */
export function strictSchema(schema: Schema, path: string): { schema: Schema; added: number } {
  let added = 0;
  const visit = (node: unknown, at: string): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => visit(item, `${at}[${index}]`));
    if (typeof node !== "object" || node === null) return node;
    const copy: Schema = {};
    for (const [key, value] of Object.entries(node)) copy[key] = visit(value, `${at}.${key}`);
    if (isObjectSchema(copy)) {
      if (copy.additionalProperties === undefined) {
        copy.additionalProperties = false;
        added++;
      } else if (copy.additionalProperties !== false) {
        throw new UsageError(
          `${at}.additionalProperties: a strict schema cannot allow extra properties; set it to false or pass --ai-structured-output-strict false`,
        );
      }
    }
    return copy;
  };
  return { schema: visit(schema, path) as Schema, added };
}

/**
 * The structured output config of the settings (undefined when off), checked: a bad config is bad usage when it
 * must be valid, a warning otherwise; a strict schema gets `additionalProperties: false` where it lacked it.
 *
 * @example
 * const config = structuredOutputOfSettings(loaded, (line) => io.stderr.write(line));
 */
export function structuredOutputOfSettings(
  loaded: LoadedSettings | undefined,
  warn: (line: string) => void,
): StructuredOutputConfig | undefined {
  const configured = loaded?.settings.chat?.structuredOutput;
  if (!configured) return undefined;
  const mode = configured.mode ?? (configured.schema ? "json_schema" : "off");
  if (mode === "off") return undefined;
  if (!configured.schema) {
    throw new UsageError("--ai-structured-output-schema is required when the mode is json_schema");
  }
  let schema = configured.schema as Schema;
  if (configured.strict !== false) {
    const fixed = strictSchema(schema, "--ai-structured-output-schema");
    schema = fixed.schema;
    if (fixed.added > 0) {
      warn(
        `geppetto: structured output is strict: added "additionalProperties": false to ${fixed.added} object schema${fixed.added === 1 ? "" : "s"}\n`,
      );
    }
  }
  const config: StructuredOutputConfig = {
    mode: "json_schema",
    name: configured.name ?? "output",
    schema,
    ...(configured.description === undefined ? {} : { description: configured.description }),
    ...(configured.strict === undefined ? {} : { strict: configured.strict }),
    ...(configured.requireValid === undefined ? {} : { requireValid: configured.requireValid }),
  };
  const problems = structuredOutputProblems(config);
  if (problems.length === 0) return config;
  if (config.requireValid) throw new UsageError(`structured output: ${problems.join("; ")}`);
  warn(`geppetto: warning: structured output ignored: ${problems.join("; ")}\n`);
  return undefined;
}
