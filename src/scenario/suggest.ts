/**
 * "Did you mean …?" for unknown keys, metrics and strategy names. Optimal-string-alignment distance (Levenshtein
 * plus adjacent transposition), so the most common typo, two swapped letters (`clinets`), costs 1, not 2.
 */

/** Edit distance between `a` and `b`: insertions, deletions, substitutions and adjacent swaps each cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  // Full matrix: the transposition rule looks two rows back, and the strings here are short (keys, metric names).
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i < rows; i++) {
    const row = d[i] as number[];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known name closest to `input`, or undefined when none is reasonably close: at most a third of the input's
 * length in edits (at least 1), so `clinets` → `clients` but `foo` suggests nothing. Case is ignored.
 */
export function closest(input: string, known: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  const limit = Math.max(1, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = editDistance(needle, name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** The hint for an unknown name: `did you mean "X"?` when one is close, else the list of valid names. */
export function suggestHint(input: string, known: readonly string[], what = 'valid keys'): string {
  const match = closest(input, known);
  return match === undefined ? `${what}: ${known.join(', ')}` : `did you mean "${match}"?`;
}
