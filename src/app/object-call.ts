/**
 * The object call behind `generateObject` and `streamObject`: compile the schema for the provider, run the call
 * with it in force (native JSON mode or the forced tool call), validate, and send the issues back on an invalid
 * answer. Loaded on first use.
 */
import { CallerError } from "../engine/errors.ts";
import { KeyStructuredOutputConfig } from "../engine/structured-output.ts";
import { ToolCatalogKey } from "../engine/tools.ts";
import type { ValidationIssue } from "../engine/validation.ts";
import type { RunContext } from "../events/context.ts";
import { stripCodeFence } from "../structured/parse/code-fence.ts";
import { appendBlock, newUserTextBlock } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import {
  type GenerateObjectResult,
  NoObjectGeneratedError,
  type ObjectAttempt,
  type ObjectCallOptions,
  type ObjectOf,
} from "./generate-object.ts";
import { resolveModel } from "./model-id.ts";
import { compileObjectSchema } from "./object-schema.ts";
import type { ObjectOutput, ObjectSchema } from "./object-types.ts";
import { type CallOptions, runCall } from "./run.ts";
import {
  answerCall,
  answerCallText,
  answerToolCatalog,
  forceAnswerTool,
  settleAnswerCalls,
} from "./tool-mode.ts";

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
  const apiType = options.apiType ?? resolved.protocol;
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
