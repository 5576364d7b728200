/**
 * The run's verdict in words, shared by every output so the terminal, HTML and CI agree on what happened.
 */
import type { Results } from '../results/types.js';
import { fmtInt, fmtPct } from './format.js';
import { establishedNothing, saturationOf } from '../analysis/saturation.js';

/**
 * In this order: aborted, failed (the run itself failed, or it established nothing: a target that took no
 * connection fails whatever its thresholds), inconclusive (the generator was saturated, src/analysis/saturation.ts:
 * nothing measured can be trusted, so never PASS), thresholds failed, pass.
 */
export type VerdictKind = 'pass' | 'thresholds-failed' | 'inconclusive' | 'aborted' | 'failed';

export interface Verdict {
  kind: VerdictKind;
  /** Short label: PASS, THRESHOLDS FAILED, INCONCLUSIVE, ABORTED, FAILED. */
  label: string;
  /** True when the results cover only part of the planned run. */
  partial: boolean;
  thresholdsPassed: number;
  thresholdsFailed: number;
  reason?: string;
}

export function verdictOf(results: Results): Verdict {
  const passed = results.thresholds.filter((t) => t.pass).length;
  const failed = results.thresholds.length - passed;
  const base = { thresholdsPassed: passed, thresholdsFailed: failed, reason: results.statusReason };
  if (results.status === 'aborted') return { ...base, kind: 'aborted', label: 'ABORTED', partial: true };
  if (results.status === 'failed') return { ...base, kind: 'failed', label: 'FAILED', partial: true };
  if (establishedNothing(results)) {
    const reason = `no connection was established (${fmtInt(results.summary.counters.attempted)} attempted)`;
    return { ...base, kind: 'failed', label: 'FAILED', partial: false, reason };
  }
  const saturation = saturationOf(results);
  if (saturation.saturated) return { ...base, kind: 'inconclusive', label: 'INCONCLUSIVE', partial: false, reason: `generator saturated: ${saturation.reasons.join('; ')}` };
  if (failed > 0) return { ...base, kind: 'thresholds-failed', label: 'THRESHOLDS FAILED', partial: false };
  return { ...base, kind: 'pass', label: 'PASS', partial: false };
}

/** "2,020 attempted, 2,005 established (99.26%), 15 failed, 5 dropped; error rate 0.99%; peak 2,000 open". */
export function oneLineSummary(results: Results): string {
  const c = results.summary.counters;
  const est = c.attempted > 0 ? ` (${fmtPct(c.established / c.attempted)})` : '';
  const gen = results.summary.errors.generator ?? 0;
  const rate = gen > 0
    ? `target's error rate ${fmtPct(results.summary.errors.targetRate ?? 0)} (${fmtInt(gen)} failures were the generator's own)`
    : `error rate ${fmtPct(results.summary.errors.rate)}`;
  return `${fmtInt(c.attempted)} attempted, ${fmtInt(c.established)} established${est}, ` +
    `${fmtInt(c.failed)} failed, ${fmtInt(c.dropped)} dropped; ${rate}; ` +
    `peak ${fmtInt(results.summary.peakOpen)} open`;
}
