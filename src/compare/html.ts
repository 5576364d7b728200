/**
 * compare.html: the approaches of a `wsherd compare` run side by side — one row each, the best value per metric
 * marked, the one-sentence outcome per approach, and links to each approach's own report. Self-contained.
 */
import { esc } from '../report/html-util.js';
import { fmtMs, fmtPct, fmtRatio } from '../report/format.js';
import type { ApproachMetrics, CompareResults } from './types.js';

const COLUMNS: ReadonlyArray<[keyof ApproachMetrics, string, (v: number) => string]> = [
  ['established', 'established', (v) => v.toLocaleString('en-US')],
  ['errorsRate', 'error rate', (v) => fmtPct(v)],
  ['misrouteRate', 'misroute rate', (v) => fmtPct(v)],
  ['brokenRate', 'broken sessions', (v) => fmtPct(v)],
  ['upgradeRate', 'upgrades done', (v) => fmtPct(v)],
  ['affinityRate', 'reconnect affinity', (v) => fmtPct(v)],
  ['peakToAverage', 'peak / average', (v) => fmtRatio(v)],
  ['jain', 'Jain fairness', (v) => v.toFixed(3)],
  ['connectP99', 'p99 connect', (v) => fmtMs(v)],
  ['lookupP99', 'p99 lookup', (v) => fmtMs(v)],
  ['remap', 'came back elsewhere', (v) => fmtPct(v, 1)],
  ['recoverySeconds', 'all back after', (v) => `${v} s`],
  ['stormPeak', 'reconnect peak /s', (v) => v.toLocaleString('en-US')],
];

/** What stands between clients and backends, e.g. `proxy: least-connections (l4)`, `dns`, `orchestrator`. */
export function describeApproach(a: CompareResults['approaches'][number]): string {
  const approach = a.approach ?? 'proxy';
  if (approach === 'dns' || approach === 'orchestrator') return approach;
  return `${approach === 'dns-proxies' ? 'dns → proxies' : 'proxy'}: ${a.proxy.strategy} (${a.proxy.mode})`;
}

export function renderCompareHtml(c: CompareResults): string {
  // Only columns some approach has data for: a ws comparison has no session columns.
  const cols = COLUMNS.filter(([key]) => c.approaches.some((a) => a.metrics?.[key] !== null && a.metrics?.[key] !== undefined));
  const head = `<tr><th>approach</th><th>clients reach backends by</th>${cols.map(([, label]) => `<th class="num">${esc(label)}</th>`).join('')}<th>thresholds</th></tr>`;
  const body = c.approaches.map((a) => {
    const cells = cols.map(([key, , fmt]) => {
      const v = a.metrics?.[key];
      const best = c.best[key]?.includes(a.name) === true;
      return `<td class="num${best ? ' best' : ''}">${v === null || v === undefined ? '–' : esc(fmt(v))}${best ? ' ★' : ''}</td>`;
    }).join('');
    const name = a.results === undefined ? esc(a.name) : `<a href="${esc(a.results.replace(/results\.json$/, 'index.html'))}">${esc(a.name)}</a>`;
    const th = a.status === 'skipped' ? 'skipped' : `${a.thresholdsPassed} passed${a.thresholdsFailed > 0 ? `, <span class="bad">${a.thresholdsFailed} failed</span>` : ''}`;
    return `<tr class="${a.status}"><th>${name}</th><td>${esc(describeApproach(a))}</td>${cells}<td>${th}</td></tr>`;
  }).join('\n');
  const sentences = c.approaches.map((a) => `<li><strong>${esc(a.name)}</strong>: ${esc(a.sentence)}</li>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(`${c.scenario} · comparison · wsherd`)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2430; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #e3e7ee; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { background: #e7f6ec; font-weight: 600; }
tr.aborted, tr.failed, tr.skipped { color: #8a5a00; }
.bad { color: #b42318; font-weight: 600; }
.muted { color: #667085; }
</style></head>
<body>
<h1>${esc(c.scenario)}: ${c.approaches.length} approaches compared</h1>
<p class="muted">${esc(c.startedAt)} → ${esc(c.endedAt)} · status ${esc(c.status)} · the same clients, phases and behaviour against each approach, each on a fresh lab. ★ marks the best value per column.</p>
<table><thead>${head}</thead><tbody>
${body}
</tbody></table>
<h2>What happened</h2>
<ul>
${sentences}
</ul>
<p class="muted">Each approach's name links to its own report. Machine-readable: compare.json.</p>
</body></html>
`;
}
