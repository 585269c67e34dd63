/**
 * Typed answers: `generateObject` asks for JSON that follows a schema (zod, any Standard Schema, or a JSON
 * schema) through the provider's native JSON mode, validates it, and on an invalid answer sends the issues back
 * to the model up to `repairAttempts` times. `streamObject` (in stream-object.ts) streams the same answer as
 * deep-partial objects. The call itself (object-call.ts) is loaded on first use.
 */
import { ModelOutputError } from "../engine/errors.ts";
import { formatIssues, type ValidationIssue } from "../engine/validation.ts";
import type { Turn } from "../turns/types.ts";
import type { InferObject, ObjectOutput, ObjectSchema } from "./object-types.ts";
import type { CallOptions, GenerateTextResult } from "./run.ts";

/**
 * Options of {@link generateObject} and `streamObject`: those of `generateText`, plus the schema.
 *
 * @example
 * const options: ObjectCallOptions<typeof Person> = { model: "openai:gpt-4o-mini", schema: Person, prompt: "Invent a person" };
 */
export interface ObjectCallOptions<S extends ObjectSchema, O extends ObjectOutput = "object">
  extends CallOptions {
  schema: S;
  /** The schema's name for the provider (`^[a-zA-Z0-9_-]{1,64}$`, default `output`). */
  schemaName?: string;
  schemaDescription?: string;
  /** `"array"`: the answer is a list of schema elements, streamed element by element. Default `"object"`. */
  output?: O;
  /** Attempts after the first, each told the previous answer's issues. Default 1. */
  repairAttempts?: number;
  /** OpenAI strict mode (default true there); `false` sends the schema unchecked, non-strict. */
  strict?: boolean;
  /**
   * How the schema reaches the model: `"json"` (default) uses the provider's native JSON mode; `"tool"` offers
   * it as the one tool the model must call (for models or servers without a JSON mode) and reads the answer
   * from the call's arguments. `"tool"` cannot be combined with `tools`.
   */
  mode?: "json" | "tool";
  /**
   * The api type or wire protocol of an Engine given as `model` (`openai`, `openai-chat`, `openai-responses`,
   * `anthropic`, `gemini`, `ollama`), so the schema is compiled for its dialect; a model id says it itself (the
   * protocol of its provider in the registry, so an OpenAI-compatible provider gets the OpenAI dialect).
   */
  apiType?: string;
}

/**
 * The typed answer: the schema's output type, or a list of it with `output: "array"`.
 *
 * @example
 * type Cities = ObjectOf<typeof City, "array">; // z.infer<typeof City>[]
 */
export type ObjectOf<S, O extends ObjectOutput> = O extends "array" ? InferObject<S>[] : InferObject<S>;

/**
 * One attempt that did not validate.
 *
 * @example
 * error.attempts[0] // { text: '{"age": "old"}', issues: [{ path: "$.age", message: "…" }] }
 */
export interface ObjectAttempt {
  /** The answer text as the model wrote it. */
  text: string;
  issues: ValidationIssue[];
}

/**
 * What {@link generateObject} resolves with: the validated object, plus what `generateText` returns.
 *
 * @example
 * const { object, attempts } = await generateObject({ model, schema: Person, prompt: "Invent a person" });
 */
export interface GenerateObjectResult<T> extends GenerateTextResult {
  object: T;
  /** The attempts that came before the valid one (empty when the first answer was valid). */
  failedAttempts: ObjectAttempt[];
}

/**
 * No attempt gave an answer that validates. `attempts` holds every attempt's raw text and issues; `text` is the
 * last answer; `turn` the whole exchange.
 *
 * @example
 * catch (error) { if (error instanceof NoObjectGeneratedError) for (const a of error.attempts) console.log(a.text, a.issues) }
 */
export class NoObjectGeneratedError extends ModelOutputError {
  override name = "NoObjectGeneratedError";
  readonly attempts: ObjectAttempt[];
  readonly text: string;

  constructor(attempts: ObjectAttempt[], turn: Turn, reason?: string) {
    const last = attempts.at(-1);
    const detail = reason ?? (last ? formatIssues(last.issues) : "no answer");
    super(`no valid object after ${attempts.length} attempt${attempts.length === 1 ? "" : "s"}: ${detail}`, {
      code: "no_object_generated",
      turn,
    });
    this.attempts = attempts;
    this.text = last?.text ?? "";
  }
}

/**
 * Generates a typed object. `object` is validated against the schema and typed from it.
 *
 * @example
 * import { z } from "zod";
 * const Person = z.object({ name: z.string(), age: z.number().int() });
 * const { object } = await generateObject({ model: "openai:gpt-4o-mini", schema: Person, prompt: "Invent a person" });
 * object.age // number
 */
export async function generateObject<S extends ObjectSchema, O extends ObjectOutput = "object">(
  options: ObjectCallOptions<S, O>,
): Promise<GenerateObjectResult<ObjectOf<S, O>>> {
  const [{ runObjectCall }, { inputTurn, callContext }] = await Promise.all([
    import("./object-call.ts"),
    import("./run.ts"),
  ]);
  return runObjectCall(options, inputTurn(options), callContext(options));
}
