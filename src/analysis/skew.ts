/**
 * How evenly connections spread over backends. Inputs are per-backend connection counts; the statistics are
 * the ones balancer write-ups quote: peak-to-average (what sizes the busiest server), the coefficient of
 * variation, and Jain's fairness index (bounded in [1/n, 1], comparable across backend counts).
 */
import type { SkewStats } from '../results/types.js';

/** Skew statistics of per-backend counts; null when there are no backends or nothing was counted. */
export function skewStats(counts: readonly number[]): SkewStats | null {
  const n = counts.length;
  if (n === 0) return null;
  let total = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const c of counts) {
    total += c;
    sumSq += c * c;
    if (c < min) min = c;
    if (c > max) max = c;
  }
  if (total <= 0) return null;
  const mean = total / n;
  // Population variance (the backends are the whole population, not a sample), two-pass so equal counts
  // give exactly 0 rather than a rounding residue.
  let sq = 0;
  for (const c of counts) sq += (c - mean) * (c - mean);
  const variance = sq / n;
  return {
    peakToAverage: max / mean,
    cv: Math.sqrt(variance) / mean,
    // Clamp against float rounding so the documented bounds hold exactly.
    jain: clamp((total * total) / (n * sumSq), 1 / n, 1),
    minShare: min / total,
    maxShare: max / total,
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/**
 * Every backend the statistics must cover: the ones seen, plus the ones a lab or a target's `target.backends`
 * declares that got nothing (an idle backend is the most starved case, never to vanish from the average).
 * `declared` as a count adds `unseen-1`, `unseen-2`, … until there are that many. Sorted naturally (w2 before w10).
 */
export function backendIds(seen: Iterable<string>, declared: readonly string[] | number | undefined, known: Iterable<string> = []): string[] {
  const ids = new Set([...seen].filter((id) => id !== 'unknown'));
  for (const id of known) ids.add(id);
  if (typeof declared === 'number') {
    for (let i = 1; ids.size < declared; i++) ids.add(`unseen-${i}`);
  } else if (declared !== undefined) {
    for (const id of declared) ids.add(id);
  }
  return [...ids].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
