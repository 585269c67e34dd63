/**
 * Totals over several inferences (the steps of a tool loop, the turns of a session): usage and cost added up.
 */
import type { Usage } from "../events/types.ts";
import type { InferenceCost } from "./engine.ts";

/**
 * `total` plus `usage`, field by field.
 *
 * @example
 * addUsage({ inputTokens: 1 }, { inputTokens: 2 }) // { inputTokens: 3 }
 */
export function addUsage(total: Usage, usage: Usage | undefined): Usage {
  if (!usage) return total;
  const sum: Usage = { ...total };
  for (const [key, value] of Object.entries(usage) as [keyof Usage, number | undefined][]) {
    if (typeof value === "number") sum[key] = (sum[key] ?? 0) + value;
  }
  return sum;
}

/**
 * `total` plus `cost`.
 *
 * @example
 * addCost(undefined, cost) // a copy of cost
 */
export function addCost(
  total: InferenceCost | undefined,
  cost: InferenceCost | undefined,
): InferenceCost | undefined {
  if (!cost) return total;
  if (!total) return { ...cost };
  const sum: InferenceCost = {
    currency: "USD",
    input: total.input + cost.input,
    output: total.output + cost.output,
    total: total.total + cost.total,
  };
  if (total.cached !== undefined || cost.cached !== undefined)
    sum.cached = (total.cached ?? 0) + (cost.cached ?? 0);
  return sum;
}
