/**
 * "Did you mean": the known name closest to a mistyped one (a command, a flag, a slash command).
 */

/** The edit distance between two strings (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, index) => [
    index,
    ...new Array<number>(b.length).fill(0),
  ]);
  for (let column = 0; column <= b.length; column++) rows[0]![column] = column;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known name closest to `typed`, when it is close enough to be a typo (at most a third of its length off,
 * or a prefix of exactly one name); undefined otherwise.
 *
 * @example
 * closestName("sesions", ["run", "chat", "sessions"]) // "sessions"
 */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  const prefixed = known.filter((name) => name.startsWith(typed));
  if (typed.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(typed.length / 3));
  for (const name of known) {
    const d = distance(typed, name);
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * ` (did you mean X?)` for a mistyped name, or an empty string.
 *
 * @example
 * `unknown command "chta"${didYouMean("chta", ["chat", "run"])}` // 'unknown command "chta" (did you mean chat?)'
 */
export function didYouMean(typed: string, known: readonly string[], prefix = ""): string {
  const name = closestName(typed, known);
  return name === undefined ? "" : ` (did you mean ${prefix}${name}?)`;
}
