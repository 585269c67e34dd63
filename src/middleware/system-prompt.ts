/**
 * The system prompt middleware: makes the Turn's first block the given system prompt (replacing the first
 * system block, or inserting one at the start), rendering `{{variables}}` on every inference.
 */
import { contextKey, type RunContext } from "../events/context.ts";
import { newSystemTextBlock } from "../turns/builders.ts";
import type { JsonValue } from "../turns/json.ts";
import type { Turn } from "../turns/types.ts";
import type { Middleware } from "./compose.ts";

/**
 * The run context slot with the variables a prompt template reads (the Session puts its data here).
 *
 * @example
 * const ctx = RunContext.background().with(PromptVariablesKey, { user: "Ada" });
 */
export const PromptVariablesKey = contextKey<Record<string, JsonValue>>("geppetto.prompt_variables");

/** Options of {@link systemPromptMiddleware}. */
export interface SystemPromptOptions {
  /** Extra variables, or a function computing them per inference (they win over the context's). */
  variables?: Record<string, JsonValue> | ((turn: Turn, ctx: RunContext) => Record<string, JsonValue>);
  /** `replace` (default) replaces an existing system block; `keep` leaves a turn that has one unchanged. */
  existing?: "replace" | "keep";
}

/**
 * Renders `{{name}}` and `{{a.b}}` placeholders; unknown names render as an empty string.
 *
 * @example
 * renderTemplate("Hello {{user.name}}", { user: { name: "Ada" } }) // "Hello Ada"
 */
export function renderTemplate(template: string, variables: Record<string, JsonValue>): string {
  return template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_match, path: string) => {
    let value: JsonValue | undefined = variables;
    for (const part of path.split(".")) {
      value = typeof value === "object" && value !== null && !Array.isArray(value) ? value[part] : undefined;
    }
    if (value === undefined || value === null) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}

/**
 * Sets the system prompt.
 *
 * @example
 * const engine = withMiddleware(base, systemPromptMiddleware("You help {{user}}. Today is {{date}}."));
 */
export function systemPromptMiddleware(template: string, options: SystemPromptOptions = {}): Middleware {
  return (next) => (turn, ctx) => {
    const extra = typeof options.variables === "function" ? options.variables(turn, ctx) : options.variables;
    const text = renderTemplate(template, { ...ctx.get(PromptVariablesKey), ...extra });
    const index = turn.blocks.findIndex((block) => block.kind === "system");
    if (index >= 0 && options.existing === "keep") return next(turn, ctx);
    const blocks = [...turn.blocks];
    if (index >= 0) {
      const existing = blocks[index]!;
      blocks[index] = { ...existing, payload: { ...existing.payload, text } } as typeof existing;
    } else {
      blocks.unshift(newSystemTextBlock(text));
    }
    return next({ ...turn, blocks }, ctx);
  };
}
