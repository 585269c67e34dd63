/**
 * Checks a structured answer against the schema it was asked to follow: the answer text must parse as JSON and
 * validate against `config.schema` (see `validateJsonSchema` for the supported keywords).
 * Used by `runInferenceWithResult`; usable on its own.
 */

import { validateJsonSchema } from "./json-schema-validation.ts";
import type { StructuredOutputConfig } from "./structured-output.ts";
import type { ValidationOutcome } from "./validation.ts";

/** Strips one surrounding Markdown code fence (```json … ```), which some models add around JSON. */
function stripFence(text: string): string {
  const match = /^\s*```[a-zA-Z0-9_-]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return match ? match[1]! : text;
}

/**
 * Parses `text` as JSON and validates it against the config's schema: the parsed answer, or every issue (an
 * answer that is not JSON has one issue at path `$`, code `not_json`).
 *
 * @example
 * checkStructuredOutput('{"answer": 42}', { name: "a", schema: { type: "object", required: ["answer"] } })
 * // { ok: true, value: { answer: 42 } }
 */
export function checkStructuredOutput(
  text: string,
  config: StructuredOutputConfig,
): ValidationOutcome<unknown> {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: "$", message: `not JSON: ${(error as Error).message}`, code: "not_json" }],
    };
  }
  const issues = validateJsonSchema(value, config.schema as never);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}
