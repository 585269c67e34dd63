/**
 * Counting tokens before sending: engines whose API has a counting endpoint (OpenAI Responses, Anthropic,
 * Gemini) implement {@link TokenCounter} inside {@link observedTokenCount}; {@link tokenCount} checks what the
 * endpoint answered.
 */
import { ProviderError } from "../engine/errors.ts";
import type { RunContext } from "../events/context.ts";
import type * as TokenCountObserverModule from "../observability/token-count.ts";
import type { Turn } from "../turns/types.ts";

/**
 * An engine that can count the input tokens of a Turn through the same request builder as its inference.
 *
 * @example
 * if (canCountTokens(engine)) console.log(await engine.countTokens(turn, RunContext.background()));
 */
export interface TokenCounter {
  countTokens(turn: Turn, ctx: RunContext): Promise<number>;
}

/**
 * True when the engine counts tokens.
 *
 * @example
 * canCountTokens(createClaudeEngine({ model })) // true
 */
export function canCountTokens(engine: object): engine is TokenCounter {
  return typeof (engine as Partial<TokenCounter>).countTokens === "function";
}

/**
 * The count a counting endpoint answered; a ProviderError when it is missing or not a count.
 *
 * @example
 * tokenCount(response.body.input_tokens, "anthropic") // 42
 */
export function tokenCount(value: unknown, provider: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  throw new ProviderError(
    `${provider} answered the token count without a count (got ${JSON.stringify(value)})`,
    { provider },
    { code: "invalid_response" },
  );
}

/**
 * The token-count observer (span and debug lines), loaded by the first count: importing an engine that counts
 * tokens loads neither it nor the inference observer and tracing helpers it uses.
 */
let observerModule: Promise<typeof TokenCountObserverModule> | undefined;

/**
 * Runs an engine's token count (`count`) through `observeTokenCount` (geppetto/observability: a span and debug
 * lines when the context traces or logs at debug), loading that observer on the first count. For engine authors
 * inside geppetto: the body of `countTokens`.
 *
 * @example
 * countTokens(turn: Turn, ctx: RunContext): Promise<number> {
 *   return observedTokenCount(ctx, "acme", this.model, () => this.#count(turn, ctx));
 * }
 */
export async function observedTokenCount(
  ctx: RunContext,
  provider: string,
  model: string | undefined,
  count: () => Promise<number>,
): Promise<number> {
  observerModule ??= import("../observability/token-count.ts");
  return (await observerModule).observeTokenCount(ctx, provider, model, count);
}

/**
 * The body of a counting endpoint, built from the inference body the request builder made: only the fields the
 * endpoint takes, in the body's order, so what is counted is what the inference will send.
 *
 * @example
 * countTokensBody({ model: "m", messages: [], max_tokens: 5 }, ["model", "messages"]) // { model: "m", messages: [] }
 */
export function countTokensBody<Body extends object>(body: Body, takes: readonly string[]): Partial<Body> {
  return Object.fromEntries(Object.entries(body).filter(([field]) => takes.includes(field))) as Partial<Body>;
}
