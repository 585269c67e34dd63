/**
 * What an inference cost, from the model's prices (`modelInfo.prices`, US dollars per million tokens).
 */
import { type Engine, type InferenceCost, KeyInferenceResult } from "../engine/engine.ts";
import type { RunContext } from "../events/context.ts";
import type { Usage } from "../events/types.ts";
import type { Turn } from "../turns/types.ts";
import type { ModelPrices } from "./schema.ts";

const round = (dollars: number) => Math.round(dollars * 1e9) / 1e9;

/**
 * The cost of one inference's usage, or `undefined` when there are no prices or no usage.
 *
 * OpenAI counts cached tokens inside `inputTokens` (`cachedTokens` is a part of them); Anthropic counts cache
 * reads and writes apart from `inputTokens` (`cacheReadInputTokens`, `cacheCreationInputTokens`). Cached tokens
 * cost `cachedInputPerMillion` (the input price when unset); cache writes cost `cacheWritePerMillion` (the input
 * price when unset).
 *
 * @example
 * computeCost({ inputTokens: 1_000_000, outputTokens: 500_000 }, { inputPerMillion: 0.15, outputPerMillion: 0.6 })
 * // { currency: "USD", input: 0.15, output: 0.3, total: 0.45 }
 */
export function computeCost(
  usage: Usage | undefined,
  prices: ModelPrices | undefined,
): InferenceCost | undefined {
  if (!usage || !prices) return undefined;
  if (prices.inputPerMillion === undefined && prices.outputPerMillion === undefined) return undefined;
  const inputPrice = prices.inputPerMillion ?? 0;
  const cachedPrice = prices.cachedInputPerMillion ?? inputPrice;
  const writePrice = prices.cacheWritePerMillion ?? inputPrice;
  const openaiCached = Math.min(usage.cachedTokens ?? 0, usage.inputTokens ?? 0);
  const uncachedInput = (usage.inputTokens ?? 0) - openaiCached;
  const cachedTokens = openaiCached + (usage.cacheReadInputTokens ?? 0);
  const input = round(
    (uncachedInput * inputPrice + (usage.cacheCreationInputTokens ?? 0) * writePrice) / 1_000_000,
  );
  const cached = round((cachedTokens * cachedPrice) / 1_000_000);
  const output = round(((usage.outputTokens ?? 0) * (prices.outputPerMillion ?? 0)) / 1_000_000);
  return {
    currency: "USD",
    input,
    output,
    ...(cachedTokens > 0 ? { cached } : {}),
    total: round(input + output + (cachedTokens > 0 ? cached : 0)),
  };
}

/**
 * Stamps `cost` on the inference result of a Turn (a new Turn); unchanged when there is nothing to price.
 *
 * @example
 * const priced = stampCost(turn, { inputPerMillion: 0.15, outputPerMillion: 0.6 });
 * KeyInferenceResult.get(priced)?.cost?.total
 */
export function stampCost(turn: Turn, prices: ModelPrices | undefined): Turn {
  const result = KeyInferenceResult.get(turn);
  const cost = computeCost(result?.usage, prices);
  if (!result || !cost) return turn;
  return KeyInferenceResult.set(turn, { ...result, cost });
}

/**
 * Wraps an engine so every result it records carries its cost (also on the partial Turn of a failure).
 *
 * @example
 * const engine = withCost(createOpenAIChatEngine({ model }), { inputPerMillion: 0.15, outputPerMillion: 0.6 });
 * const { result } = await runInferenceWithResult(engine, turn, ctx);
 * result.cost?.total
 */
export function withCost(engine: Engine, prices: ModelPrices): Engine {
  return {
    async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
      try {
        return stampCost(await engine.runInference(turn, ctx), prices);
      } catch (error) {
        const partial = (error as { turn?: Turn }).turn;
        if (partial) (error as { turn?: Turn }).turn = stampCost(partial, prices);
        throw error;
      }
    },
  };
}
