/**
 * Tool definitions: a name, a description, an input schema (zod, any Standard Schema, or a JSON schema) and an
 * `execute` function whose argument type is inferred from the schema.
 */

import { CallerError } from "../engine/errors.ts";
import type { SchemaDialect } from "../engine/tools.ts";
import type { RunContext } from "../events/context.ts";
import type { JsonObject } from "../turns/json.ts";
import { compileForDialect } from "./dialects.ts";
import {
  type CompiledInputSchema,
  compileInputSchema,
  compileValidator,
  type InferToolInput,
  type ToolInputSchema,
  type ToolOutputSchema,
  type ValidationOutcome,
} from "./input-schema.ts";

/** What a running tool gets besides its arguments. */
export interface ToolExecutionContext {
  /** Aborts when the run is cancelled or the tool's `executionTimeoutMs` is reached. Honour it. */
  signal: AbortSignal;
  /** The model's id for this call. */
  toolCallId: string;
  /** The run context (ids, sinks, context values). */
  ctx: RunContext;
}

/** How a tool is declared. */
export interface ToolDefinition<S extends ToolInputSchema, O> {
  /** `^[a-zA-Z0-9_-]{1,64}$` (what every provider accepts). */
  name: string;
  description: string;
  input: S;
  /** An optional schema the result must satisfy (checked after `execute`; a failure becomes an error result). */
  output?: ToolOutputSchema;
  /** Overrides the JSON schema derived from `input` (needed for a Standard Schema with no JSON schema). */
  jsonSchema?: JsonObject;
  /**
   * True (or a function of the arguments returning true) when a person must approve each call before it runs;
   * the CLI asks on its terminal, applications decide through step control (`StepController`).
   */
  needsApproval?: boolean | ((args: InferToolInput<S>) => boolean | Promise<boolean>);
  execute(args: InferToolInput<S>, context: ToolExecutionContext): O | Promise<O>;
}

/** A defined tool, ready to register. */
export interface Tool<I = unknown, O = unknown> {
  readonly name: string;
  readonly description: string;
  /** Checks and parses the model's arguments. */
  validateInput(value: unknown): Promise<ValidationOutcome<I>>;
  /** Checks a result against the `output` schema (always ok without one). */
  validateOutput(value: unknown): Promise<ValidationOutcome<O>>;
  execute(args: I, context: ToolExecutionContext): O | Promise<O>;
  /** Whether a call with these arguments needs a person's approval (see `ToolDefinition.needsApproval`). */
  needsApproval?(args: I): boolean | Promise<boolean>;
  /** The input JSON schema for a provider dialect, compiled once per dialect and cached. */
  parametersFor(dialect: SchemaDialect): JsonObject;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Defines a tool. The argument type of `execute` is inferred from `input`.
 *
 * @example
 * const weather = defineTool({
 *   name: "get_weather",
 *   description: "Current weather for a city",
 *   input: z.object({ city: z.string(), unit: z.enum(["c", "f"]).optional() }),
 *   execute: async ({ city, unit }, { signal }) => fetchWeather(city, unit ?? "c", signal),
 * });
 */
export function defineTool<S extends ToolInputSchema, O>(
  definition: ToolDefinition<S, O>,
): Tool<InferToolInput<S>, O> {
  if (!TOOL_NAME.test(definition.name)) {
    throw new CallerError(`tool name ${JSON.stringify(definition.name)} must match ${TOOL_NAME.source}`, {
      code: "invalid_tool_definition",
    });
  }
  const where = `tool "${definition.name}"`;
  const input: CompiledInputSchema<InferToolInput<S>> = compileInputSchema(
    definition.input,
    `${where} input`,
    definition.jsonSchema,
  );
  const output = definition.output ? compileValidator<O>(definition.output, `${where} output`) : undefined;
  const cache = new Map<SchemaDialect, JsonObject>();
  return {
    name: definition.name,
    description: definition.description,
    validateInput: (value) => input.validate(value),
    validateOutput: async (value) => (output ? output(value) : { ok: true, value: value as O }),
    execute: (args, context) => definition.execute(args, context),
    ...(definition.needsApproval === undefined
      ? {}
      : {
          needsApproval: (args: InferToolInput<S>) =>
            typeof definition.needsApproval === "function"
              ? definition.needsApproval(args)
              : definition.needsApproval === true,
        }),
    parametersFor(dialect) {
      let compiled = cache.get(dialect);
      if (!compiled) {
        compiled = compileForDialect(input.jsonSchema, dialect);
        cache.set(dialect, compiled);
      }
      return compiled;
    },
  };
}
