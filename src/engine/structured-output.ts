/**
 * Structured output: ask the provider for JSON that follows a JSON schema.
 *
 * The config lives on the turn (`geppetto.structured_output_config@v1`) with engine defaults below it; every
 * engine maps it to its provider's native form (`response_format`, `text.format`, `output_format`,
 * `responseSchema`, Ollama `format`).
 */
import type * as Zod from "zod";
import { turnDataKey } from "../turns/keys.ts";
import { lazy, loadZod } from "../turns/lazy-modules.ts";
import type { Turn } from "../turns/types.ts";
import { CallerError } from "./errors.ts";

function buildSchema(z: typeof Zod) {
  return z.object({
    mode: z.literal("json_schema").default("json_schema"),
    /** Schema name (OpenAI requires `^[a-zA-Z0-9_-]{1,64}$`). */
    name: z.string(),
    description: z.string().optional(),
    /** A JSON schema object. */
    schema: z.record(z.string(), z.unknown()),
    /** OpenAI strict mode. Default true. */
    strict: z.boolean().optional(),
    /**
     * When true, an invalid config fails the request and output that breaks the schema is an error; when false,
     * both become warnings (an event and a flag on the inference result).
     */
    requireValid: z.boolean().optional(),
  });
}

/** The zod schema of {@link StructuredOutputConfig}, built on first use. */
export const structuredOutputConfigSchema: () => ReturnType<typeof buildSchema> = lazy(() =>
  buildSchema(loadZod()),
);

/** Structured output settings: a named JSON schema the answer must follow. */
export type StructuredOutputConfig = Zod.input<ReturnType<typeof buildSchema>>;

/** Turn.data: structured output for this turn. */
export const KeyStructuredOutputConfig = turnDataKey<StructuredOutputConfig>(
  "geppetto",
  "structured_output_config",
  1,
  () => structuredOutputConfigSchema() as unknown as Zod.ZodType<StructuredOutputConfig>,
);

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Problems with a structured output config, as messages (empty when valid). */
export function structuredOutputProblems(config: StructuredOutputConfig): string[] {
  const problems: string[] = [];
  if (!NAME.test(config.name)) problems.push(`name ${JSON.stringify(config.name)} must match ${NAME.source}`);
  if (typeof config.schema !== "object" || config.schema === null || Array.isArray(config.schema)) {
    problems.push("schema must be a JSON object");
  } else if (config.schema.type !== undefined && config.schema.type !== "object") {
    problems.push(`schema.type must be "object" (got ${JSON.stringify(config.schema.type)})`);
  }
  return problems;
}

/**
 * The structured output config in force for a turn (Turn.data over the engine default), checked.
 * An invalid config throws a CallerError when `requireValid`, and is otherwise returned as `ignored` with its
 * problems so the engine can publish a warning and carry on with plain text.
 */
export function resolveStructuredOutput(
  turn: Turn,
  engineDefault?: StructuredOutputConfig,
): { config?: StructuredOutputConfig; ignored?: { config: StructuredOutputConfig; problems: string[] } } {
  const config = KeyStructuredOutputConfig.get(turn) ?? engineDefault;
  if (!config) return {};
  const problems = structuredOutputProblems(config);
  if (problems.length === 0) return { config };
  if (config.requireValid) {
    throw new CallerError(`structured output config is invalid: ${problems.join("; ")}`, {
      code: "invalid_structured_output_config",
    });
  }
  return { ignored: { config, problems } };
}
