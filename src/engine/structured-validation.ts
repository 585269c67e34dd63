/**
 * Checks a structured answer against the schema it was asked to follow: the answer text must parse as JSON and
 * validate against `config.schema` (see `validateJsonSchema` for the supported keywords).
 * Used by `runInferenceWithResult`; usable on its own.
 */

import { formatJsonSchemaIssues, validateJsonSchema } from "./json-schema-validation.ts";
import type { StructuredOutputConfig } from "./structured-output.ts";

/** The outcome of a structured-output check; `value` is the parsed answer when it parsed. */
export interface StructuredOutputCheck {
  valid: boolean;
  error?: string;
  value?: unknown;
}

/** Strips one surrounding Markdown code fence (```json … ```), which some models add around JSON. */
function stripFence(text: string): string {
  const match = /^\s*```[a-zA-Z0-9_-]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return match ? match[1]! : text;
}

/**
 * Parses `text` as JSON and validates it against the config's schema.
 *
 * @example
 * checkStructuredOutput('{"answer": 42}', { name: "a", schema: { type: "object", required: ["answer"] } })
 * // { valid: true, value: { answer: 42 } }
 */
export function checkStructuredOutput(text: string, config: StructuredOutputConfig): StructuredOutputCheck {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch (error) {
    return { valid: false, error: `answer is not JSON: ${(error as Error).message}` };
  }
  const issues = validateJsonSchema(value, config.schema as never);
  if (issues.length > 0) {
    return {
      valid: false,
      value,
      error: `answer breaks schema "${config.name}": ${formatJsonSchemaIssues(issues)}`,
    };
  }
  return { valid: true, value };
}
