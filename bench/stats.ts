/**
 * Pure helpers of the benchmark harness: medians, percentiles, ratios to the floor, number and table
 * formatting. Tested by bench.test.ts.
 */

/** The median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((left, right) => left - right);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The p-th percentile (0–100, nearest rank) of the finite values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = values.filter(Number.isFinite).sort((left, right) => left - right);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

/** value / floor; NaN when either is missing or the floor is not positive. */
export function ratio(value: number, floor: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(floor) || floor <= 0) return Number.NaN;
  return value / floor;
}

/** A number with about three significant digits ("—" when not a number). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "—";
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString("en-US");
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

/** A ratio as "1.23×" ("—" when not a number). */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "—";
}

/** A Markdown table; every row must have as many cells as the header. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const [index, row] of rows.entries()) {
    if (row.length !== header.length) {
      throw new Error(`markdownTable: row ${index} has ${row.length} cells, the header has ${header.length}`);
    }
  }
  const escapeCell = (cell: string) => cell.replaceAll("|", "\\|");
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(" | ")} |`;
  const separator = `|${header.map(() => " --- ").join("|")}|`;
  return [line(header), separator, ...rows.map(line)].join("\n");
}

/**
 * The growth ratio of a per-unit cost between the smallest and largest size: cost per unit at the largest
 * size divided by cost per unit at the smallest. 1 means linear; a quadratic cost grows with the size ratio.
 */
export function growthRatio(perUnitBySize: ReadonlyMap<number, number>): number {
  const sizes = [...perUnitBySize.keys()].sort((left, right) => left - right);
  if (sizes.length < 2) return Number.NaN;
  return ratio(perUnitBySize.get(sizes[sizes.length - 1]!)!, perUnitBySize.get(sizes[0]!)!);
}

/** Reorders items by rotating them `offset` places, so each repetition runs the clients in a different order. */
export function rotate<T>(items: readonly T[], offset: number): T[] {
  if (items.length === 0) return [];
  const shift = ((offset % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
