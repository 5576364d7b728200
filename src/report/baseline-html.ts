/**
 * baseline.html: the deltas of a new run against its baseline, regressions marked. Self-contained and styled
 * like compare.html (inline CSS under a CSP that allows nothing else: it opens offline and runs no script).
 */
import type { BaselineComparison } from './baseline.js';
import { fmtDelta, fmtRelative, verdictWord } from './baseline-summary.js';
import { fmtMetric, fmtPct } from './format.js';
import { esc } from './html-util.js';

const DIRECTION_LABEL = { 'lower-is-better': 'lower is better', 'higher-is-better': 'higher is better', neutral: 'informational' } as const;

export function renderBaselineHtml(b: BaselineComparison): string {
  const body = b.rows.map((r) => {
    const cls = r.regressed ? 'regressed' : r.improved ? 'improved' : r.old === null || r.new === null ? 'nodata' : '';
    return `<tr${cls ? ` class="${cls}"` : ''}><th>${esc(r.metric)}${r.key ? ' <span class="muted">·</span>' : ''}</th>` +
      `<td class="num">${esc(fmtMetric(r.metric, r.old))}</td><td class="num">${esc(fmtMetric(r.metric, r.new))}</td>` +
      `<td class="num">${esc(fmtDelta(r))}</td><td class="num">${esc(fmtRelative(r))}</td>` +
      `<td class="num">${esc(fmtPct(r.tolerance, 0))}</td><td class="muted">${esc(DIRECTION_LABEL[r.direction])}</td>` +
      `<td>${r.regressed ? '<span class="bad">✗ regressed</span>' : esc(verdictWord(r))}</td></tr>`;
  }).join('\n');
  const verdict = b.regressions.length === 0
    ? '<p class="verdict ok">No metric regressed beyond its tolerance.</p>'
    : `<p class="verdict bad">${b.regressions.length} metric${b.regressions.length === 1 ? '' : 's'} regressed: ${b.regressions.map(esc).join(', ')}.</p>`;
  const warnings = b.warnings.map((w) => `<p class="warn">⚠ ${esc(w)}</p>`).join('\n');
  const perMetric = Object.entries(b.tolerance.metrics).map(([m, t]) => `${esc(m)} ${esc(fmtPct(t, 0))}`).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(`${b.new.scenario} · against baseline · wsherd`)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2430; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #e3e7ee; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.regressed { background: #fdecea; }
tr.improved td:last-child { color: #067647; font-weight: 600; }
tr.nodata { color: #667085; }
.bad { color: #b42318; font-weight: 600; }
.ok { color: #067647; font-weight: 600; }
.warn { color: #8a5a00; }
.muted { color: #667085; }
</style></head>
<body>
<h1>${esc(b.new.scenario)}: against its baseline</h1>
<p class="muted">baseline ${esc(b.old.file)} (${esc(b.old.scenario)}, ${esc(b.old.startedAt)}, ${esc(b.old.status)}${b.old.partial === true ? ', partial' : ''})<br>
new ${esc(b.new.file)} (${esc(b.new.scenario)}, ${esc(b.new.startedAt)}, ${esc(b.new.status)}${b.new.partial === true ? ', partial' : ''})</p>
${warnings}
${verdict}
<table><thead><tr><th>metric</th><th class="num">baseline</th><th class="num">new</th><th class="num">delta</th><th class="num">change</th><th class="num">tolerance</th><th>direction</th><th></th></tr></thead><tbody>
${body}
</tbody></table>
<p class="muted">A metric regressed when it moved in its worse direction by more than its tolerance, relative to the baseline value (from 0, any worse change counts). Tolerance ${esc(fmtPct(b.tolerance.default, 0))}${perMetric ? `; per metric: ${perMetric}` : ''}. · marks the key metrics, always listed; the others are listed when both runs measured them. Machine-readable: <code>wsherd report --baseline … --json</code>.</p>
</body></html>
`;
}
