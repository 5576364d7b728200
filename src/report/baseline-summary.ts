/**
 * The baseline comparison in the terminal: one aligned row per metric (old, new, delta, change, tolerance,
 * verdict), regressions in red. Unchanged metrics that are not key ones are folded into one line, so a CI log
 * shows what moved; --json and baseline.html keep every row.
 */
import { Chalk } from 'chalk';
import type { BaselineComparison, BaselineRow } from './baseline.js';
import { fmtInt, fmtMetric, fmtMs, fmtPct, fmtRatio } from './format.js';
import { table } from './table.js';

/** A signed delta in the metric's unit: "+1.23 ms", "-0.50 pp" (percentage points for rates), "+12". */
export function fmtDelta(row: BaselineRow): string {
  if (row.delta === null) return '–';
  const sign = row.delta > 0 ? '+' : row.delta < 0 ? '-' : '±';
  const a = Math.abs(row.delta);
  switch (row.kind) {
    case 'ms': return `${sign}${fmtMs(a)} ms`;
    case 'fraction': return `${sign}${(a * 100).toFixed(2)} pp`;
    case 'count': return `${sign}${fmtInt(a)}`;
    default: return `${sign}${fmtRatio(a)}`;
  }
}

/** The relative change: "+25.0%", "-3.1%", "new" (from 0), "–" (no data). */
export function fmtRelative(row: BaselineRow): string {
  if (row.fromZero === true) return 'from 0';
  if (row.relative === null) return '–';
  const pct = row.relative * 100;
  return `${pct > 0 ? '+' : pct < 0 ? '-' : '±'}${Math.abs(pct).toFixed(1)}%`;
}

/** "regressed", "improved", "ok", "no data", "info" (neutral metrics). */
export function verdictWord(row: BaselineRow): string {
  if (row.old === null || row.new === null) return 'no data';
  if (row.regressed) return 'REGRESSED';
  if (row.improved) return 'improved';
  return row.direction === 'neutral' ? 'info' : 'ok';
}

export function renderBaselineSummary(b: BaselineComparison, opts: { color: boolean }): string {
  const k = new Chalk({ level: opts.color ? 1 : 0 });
  const shown = b.rows.filter((r) => r.key || r.regressed || r.improved || (r.delta !== null && r.delta !== 0));
  const head = ['metric', 'baseline', 'new', 'delta', 'change', 'tolerance', ''].map((h) => k.dim(h));
  const rows = shown.map((r) => {
    const word = verdictWord(r);
    const verdict = r.regressed ? k.red.bold(word) : r.improved ? k.green(word) : k.dim(word);
    const change = fmtRelative(r);
    return [r.regressed ? k.red(r.metric) : r.metric, fmtMetric(r.metric, r.old), fmtMetric(r.metric, r.new), fmtDelta(r), r.regressed ? k.red(change) : change, fmtPct(r.tolerance, 0), verdict];
  });
  const lines = [
    `${k.bold('Baseline')} ${b.old.scenario} ${k.dim(`(${b.old.startedAt})`)} ${k.dim('→')} ${k.bold('new')} ${b.new.scenario} ${k.dim(`(${b.new.startedAt})`)}`,
    ...b.warnings.map((w) => k.yellow(`  warning: ${w}`)),
    ...table([head, ...rows], ['l', 'r', 'r', 'r', 'r', 'r', 'l']),
  ];
  const hidden = b.rows.length - shown.length;
  if (hidden > 0) lines.push(k.dim(`  ${hidden} more metric${hidden === 1 ? '' : 's'} unchanged (all rows: --json or baseline.html)`));
  lines.push('');
  lines.push(b.regressions.length === 0
    ? k.green.bold(`No regression`) + k.dim(` beyond the tolerance (${fmtPct(b.tolerance.default, 0)} unless set per metric)`)
    : k.red.bold(`${b.regressions.length} regression${b.regressions.length === 1 ? '' : 's'}: `) + b.regressions.join(', '));
  return lines.join('\n') + '\n';
}
