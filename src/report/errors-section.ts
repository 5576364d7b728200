/**
 * The report's errors panel: every error code with its count and meaning, and the top codes per second over the
 * run (chart `errors`, the rest summed as "other"), with the faults and the first failure marked on it.
 */
import type { Results } from '../results/types.js';
import type { ChartData } from './chart-data.js';
import { hasValues } from './chart-data.js';
import { explainErrorCode } from './error-codes.js';
import { fmtInt, fmtPct } from './format.js';
import { chartBox, stepNote } from './html-sections.js';
import { esc } from './html-util.js';

export function errorsSection(r: Results, cd: ChartData): string {
  const entries = Object.entries(r.summary.errors.byCode).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return '';
  const total = r.summary.errors.total;
  const attempted = r.summary.counters.attempted;
  const rows = entries.map(([code, n]) => `<tr><td><code>${esc(code)}</code></td><td class="num">${fmtInt(n)}</td>` +
    `<td class="num">${total > 0 ? fmtPct(n / total, 1) : '–'}</td><td class="num">${attempted > 0 ? fmtPct(n / attempted) : '–'}</td>` +
    `<td class="muted">${esc(explainErrorCode(code) ?? '')}${r.summary.errors.samples?.[code] === undefined ? '' : `<br><span class="small">e.g. <code>${esc(r.summary.errors.samples[code])}</code></span>`}</td></tr>`).join('\n');
  const note = [stepNote(cd), (r.faults ?? []).some((f) => f.ok) ? '(dashed: the faults)' : ''].filter((s) => s !== '').join(' ');
  const chart = cd.errorsByCode.some((col) => hasValues(col)) ? chartBox('errors', 'Errors per second by code, stacked', note) : '';
  return `<section id="errors"><h2>Errors by code</h2>
<p>${fmtInt(total)} errors (${fmtInt(r.summary.counters.failed)} failed attempts, ${fmtInt(r.summary.counters.dropped)} dropped connections); error rate ${fmtPct(r.summary.errors.rate)}${(r.summary.errors.generator ?? 0) > 0 ? `; ${fmtInt(r.summary.errors.generator ?? 0)} of them the generator's own (cancelled, out of fds or ports), so the target's error rate is ${fmtPct(r.summary.errors.targetRate ?? 0)}` : ''}.</p>
<table class="data"><thead><tr><th>code</th><th class="num">count</th><th class="num">of errors</th><th class="num">of attempts</th><th>meaning</th></tr></thead>
<tbody>
${rows}
</tbody></table>${chart}</section>`;
}
