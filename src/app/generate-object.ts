/**
 * Typed answers: `generateObject` asks for JSON that follows a schema (zod, any Standard Schema, or a JSON
 * schema) through the provider's native JSON mode, validates it, and on an invalid answer sends the issues back
 * to the model up to `repairAttempts` times. `streamObject` (in stream-object.ts) streams the same answer as
 * deep-partial objects.
 */

import { CallerError, ModelOutputError } from "../engine/errors.ts";
import { KeyStructuredOutputConfig } from "../engine/structured-output.ts";
import { ToolCatalogKey } from "../engine/tools.ts";
import { formatIssues, type ValidationIssue } from "../engine/validation.ts";
import type { RunContext } from "../events/context.ts";
import { stripCodeFence } from "../structured/parse/code-fence.ts";
import { appendBlock, newUserTextBlock } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import { resolveModel } from "./model-id.ts";
import {
  compileObjectSchema,
  type InferObject,
  type ObjectOutput,
  type ObjectSchema,
} from "./object-schema.ts";
import { type CallOptions, callContext, type GenerateTextResult, inputTurn, runCall } from "./run.ts";
import {
  answerCall,
  answerCallText,
  answerToolCatalog,
  forceAnswerTool,
  settleAnswerCalls,
} from "./tool-mode.ts";

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
   * The api type of an Engine given as `model` (`openai`, `openai-responses`, `claude`, `gemini`, `ollama`), so
   * the schema is compiled for its dialect; a model id says it itself.
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

/** Parses an answer as JSON (one surrounding code fence allowed); a `not_json` issue when it is not. */
export function parseAnswer(
  text: string,
): { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] } {
  const { body } = stripCodeFence(text);
  try {
    return { ok: true, value: JSON.parse(body.trim().replace(/```\s*$/, "")) };
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: "$", message: `not JSON: ${(error as Error).message}`, code: "not_json" }],
    };
  }
}

function repairPrompt(issues: readonly ValidationIssue[]): string {
  return (
    "Your answer does not match the required JSON schema:\n" +
    issues
      .slice(0, 20)
      .map((issue) => `- ${issue.path}: ${issue.message}`)
      .join("\n") +
    "\nAnswer again with only the corrected JSON."
  );
}

/**
 * Runs the object call in `ctx`: each attempt is a call with the schema in force; an invalid answer is sent back
 * with its issues. Shared by `generateObject` and `streamObject`.
 */
export async function runObjectCall<S extends ObjectSchema, O extends ObjectOutput>(
  options: ObjectCallOptions<S, O>,
  input: Turn,
  ctx: RunContext,
): Promise<GenerateObjectResult<ObjectOf<S, O>>> {
  const resolved = await resolveModel(options.model, options.resolution);
  const apiType = options.apiType ?? resolved.apiType;
  const compiled = compileObjectSchema<ObjectOf<S, O>>(options.schema, {
    ...(apiType ? { apiType } : {}),
    ...(options.schemaName ? { name: options.schemaName } : {}),
    ...(options.schemaDescription ? { description: options.schemaDescription } : {}),
    ...(options.strict === undefined ? {} : { strict: options.strict }),
    ...(options.output ? { output: options.output } : {}),
  });
  const toolMode = options.mode === "tool";
  if (toolMode && options.tools) {
    throw new CallerError(
      'mode "tool" offers the schema as the only tool: it cannot be combined with tools',
      {
        code: "invalid_argument",
      },
    );
  }
  const name = compiled.config.name;
  const attempts: ObjectAttempt[] = [];
  const allowed = 1 + Math.max(0, options.repairAttempts ?? 1);
  const callCtx = toolMode
    ? ctx.with(
        ToolCatalogKey,
        answerToolCatalog(name, options.schemaDescription ?? "The answer", compiled.jsonSchema),
      )
    : ctx;
  let turn = toolMode ? forceAnswerTool(input, name) : KeyStructuredOutputConfig.set(input, compiled.config);
  let callOptions: CallOptions = options;
  for (let attempt = 0; attempt < allowed; attempt++) {
    const out = await runCall(callOptions, turn, callCtx, { engine: resolved.engine });
    const call = toolMode ? answerCall(out.turn, name) : undefined;
    const text = call ? answerCallText(call) : out.text;
    const settle = (outcome: { error: string } | { result: string }) =>
      toolMode
        ? settleAnswerCalls(out.turn, name, outcome, input)
        : KeyStructuredOutputConfig.delete(out.turn);
    if (out.status !== "completed") {
      throw new NoObjectGeneratedError(
        [...attempts, { text, issues: [] }],
        settle({ error: "not executed: the call ended" }),
        `the call ended as ${out.status} before a valid answer`,
      );
    }
    const parsed =
      call && call.argsText === undefined ? { ok: true as const, value: call.args } : parseAnswer(text);
    const checked = parsed.ok ? await compiled.validate(parsed.value) : parsed;
    if (checked.ok) {
      const answered = settle({ result: "received" });
      return { ...out, turn: answered, object: checked.value, failedAttempts: attempts };
    }
    attempts.push({ text, issues: checked.issues });
    const repair = repairPrompt(checked.issues);
    if (attempt + 1 >= allowed) throw new NoObjectGeneratedError(attempts, settle({ error: repair }));
    turn = toolMode
      ? forceAnswerTool(settle({ error: repair }), name)
      : appendBlock(out.turn, newUserTextBlock(repair));
    // The input guardrails ran on the caller's input; a repair prompt is ours.
    const { inputGuardrails: _checked, ...rest } = callOptions;
    callOptions = rest as CallOptions;
  }
  throw new NoObjectGeneratedError(attempts, turn);
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
  return runObjectCall(options, inputTurn(options), callContext(options));
}
