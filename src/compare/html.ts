/**
 * compare.html: the approaches of a `wsherd compare` run side by side — one row each, the best value per metric
 * marked, the one-sentence outcome per approach, and links to each approach's own report. Given the runs, also
 * small multiples: one small chart per approach for open connections and p99 rtt over time, and bars of each
 * backend's share, every approach on the same scales so that shapes compare at a glance. Self-contained: uPlot
 * and the client script are inlined, and a CSP with their hashes lets nothing else run or load.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Results } from '../results/types.js';
import { loadAssets, reportsDir } from '../report/assets.js';
import { chartData } from '../report/chart-data.js';
import { esc, jsonForScript, scriptSafe, styleSafe } from '../report/html-util.js';
import { scriptSrc } from '../report/html.js';
import { fmtMs, fmtPct, fmtRatio } from '../report/format.js';
import type { ApproachMetrics, ApproachRow, CompareResults } from './types.js';

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

/** Points per small chart: a few hundred pixels wide, so more would only add bytes. */
const SMALL_POINTS = 400;

/** What reports/compare-client.js reads from `<script id="wsherd-compare-data">`. */
export interface CompareChartData {
  /** Shared by every small chart: seconds, open connections, p99 rtt in ms (null: no approach measured rtt). */
  scales: { xMax: number; openMax: number; rttMax: number | null };
  approaches: Array<{ index: number; name: string; t: number[]; open: number[]; rttP99: (number | null)[] }>;
}

/** Runs are given in the order they ran: skipped approaches (after an abort) have none. */
function pairRuns(c: CompareResults, runs: readonly Results[]): Array<{ index: number; row: ApproachRow; run: Results }> {
  const ran = c.approaches.map((row, index) => ({ row, index })).filter(({ row }) => row.status !== 'skipped');
  return ran.flatMap(({ row, index }, k) => (runs[k] === undefined ? [] : [{ index, row, run: runs[k] }]));
}

export function compareChartData(c: CompareResults, runs: readonly Results[]): CompareChartData | undefined {
  const pairs = pairRuns(c, runs).filter(({ run }) => run.series.length > 0);
  if (pairs.length === 0) return undefined;
  const approaches = pairs.map(({ index, row, run }) => {
    const cd = chartData(run.series, run.backends.perBackend.map((b) => b.id), SMALL_POINTS);
    return { index, name: row.name, t: cd.t, open: cd.open, rttP99: cd.rttP99 };
  });
  const max = (xs: readonly (number | null)[]): number => Math.max(0, ...xs.map((v) => v ?? 0));
  const rttMax = max(approaches.flatMap((a) => a.rttP99));
  return {
    scales: { xMax: max(approaches.flatMap((a) => a.t)), openMax: max(approaches.flatMap((a) => a.open)), rttMax: rttMax > 0 ? rttMax : null },
    approaches,
  };
}

function smallChart(id: string, title: string): string {
  return `<figure class="small"><figcaption>${esc(title)}</figcaption><div class="chart" id="chart-${esc(id)}" data-chart="${esc(id)}"></div></figure>`;
}

/** One approach's backend shares as bars in SVG (no script needed); `top` is the largest share of any approach. */
function shareBars(name: string, run: Results, top: number): string {
  const per = run.backends.perBackend;
  if (per.length === 0) return `<figure class="small"><figcaption>${esc(name)}</figcaption><p class="muted">No backend was identified.</p></figure>`;
  const ROW = 22;
  const LABEL = 90;
  const W = 300;
  const scale = (share: number): number => (top > 0 ? (share / top) * (W - LABEL - 50) : 0);
  const even = scale(1 / per.length);
  const rows = per.map((b, k) => {
    const y = k * ROW;
    return `<text x="0" y="${y + 15}" class="lbl">${esc(b.id)}</text>` +
      `<rect x="${LABEL}" y="${y + 4}" width="${scale(b.share).toFixed(1)}" height="${ROW - 8}" rx="2" fill="#60a5fa"><title>${esc(`${b.id}: ${b.connections} connections, ${fmtPct(b.share, 1)}`)}</title></rect>` +
      `<text x="${(LABEL + scale(b.share) + 4).toFixed(1)}" y="${y + 15}" class="val">${esc(fmtPct(b.share, 1))}</text>`;
  }).join('');
  const h = per.length * ROW;
  const evenLine = `<line x1="${(LABEL + even).toFixed(1)}" x2="${(LABEL + even).toFixed(1)}" y1="0" y2="${h}" stroke="#1d2430" stroke-opacity=".45" stroke-width="1.5"><title>even share ${esc(fmtPct(1 / per.length, 1))}</title></line>`;
  return `<figure class="small"><figcaption>${esc(name)}</figcaption><svg class="shares" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(`${name}: share of connections per backend`)}">${rows}${evenLine}</svg></figure>`;
}

function chartsSection(c: CompareResults, runs: readonly Results[], data: CompareChartData | undefined): string {
  const pairs = pairRuns(c, runs);
  const parts: string[] = [];
  if (data !== undefined) {
    parts.push('<h3>Open connections</h3><div class="grid">' + data.approaches.map((a) => smallChart(`open-${a.index + 1}`, a.name)).join('') + '</div>');
    if (data.scales.rttMax !== null) {
      parts.push('<h3>p99 message round trip (ms)</h3><div class="grid">' + data.approaches.map((a) => smallChart(`rtt-${a.index + 1}`, a.name)).join('') + '</div>');
    }
  }
  if (pairs.some(({ run }) => run.backends.perBackend.length > 0)) {
    const top = Math.max(0, ...pairs.flatMap(({ run }) => run.backends.perBackend.map((b) => b.share)));
    parts.push('<h3>Share of connections per backend</h3><div class="grid">' + pairs.map(({ row, run }) => shareBars(row.name, run, top)).join('') + '</div>' +
      '<p class="muted">The thin mark is the even share. Bars share one scale across approaches.</p>');
  }
  if (parts.length === 0) return '';
  return `<section id="charts"><h2>Side by side</h2><p class="muted">One small chart per approach, every approach on the same scales. Drag to zoom a chart, double-click to reset.</p>${parts.join('\n')}</section>`;
}

const CSS = `body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2430; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #e3e7ee; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { background: #e7f6ec; font-weight: 600; }
.inconclusive { color: #9a6700; font-weight: 600; }
tr.aborted, tr.failed, tr.skipped { color: #8a5a00; }
.bad { color: #b42318; font-weight: 600; }
.muted { color: #667085; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px 18px; }
figure.small { margin: 0; min-width: 0; }
figure.small figcaption { font-weight: 600; margin-bottom: 4px; }
.chart { width: 100%; min-height: 40px; }
.uplot .u-legend { font-size: 12px; }
svg.shares { width: 100%; height: auto; font: 11px system-ui, sans-serif; }
svg.shares .lbl { fill: #1d2430; font-family: ui-monospace, monospace; }
svg.shares .val { fill: #667085; }`;

/** The comparison page; with `runs` (each run approach's results, in the order they ran) also the charts. */
export function renderCompareHtml(c: CompareResults, runs?: readonly Results[]): string {
  // Only columns some approach has data for: a ws comparison has no session columns.
  const cols = COLUMNS.filter(([key]) => c.approaches.some((a) => a.metrics?.[key] !== null && a.metrics?.[key] !== undefined));
  const head = `<tr><th>approach</th><th>clients reach backends by</th>${cols.map(([, label]) => `<th class="num">${esc(label)}</th>`).join('')}<th>thresholds</th><th>verdict</th></tr>`;
  const body = c.approaches.map((a) => {
    const cells = cols.map(([key, , fmt]) => {
      const v = a.metrics?.[key];
      const best = c.best[key]?.includes(a.name) === true;
      return `<td class="num${best ? ' best' : ''}">${v === null || v === undefined ? '–' : esc(fmt(v))}${best ? ' ★' : ''}</td>`;
    }).join('');
    const name = a.results === undefined ? esc(a.name) : `<a href="${esc(a.results.replace(/results\.json$/, 'index.html'))}">${esc(a.name)}</a>`;
    const th = a.status === 'skipped' ? 'skipped' : `${a.thresholdsPassed} passed${a.thresholdsFailed > 0 ? `, <span class="bad">${a.thresholdsFailed} failed</span>` : ''}`;
    // Each approach's own verdict; an inconclusive one (generator saturated) is marked and never starred.
    const verdict = a.verdict === undefined ? '–' : `<span class="${a.inconclusive === true ? 'inconclusive' : a.verdict === 'PASS' ? '' : 'bad'}" data-verdict="${esc(a.verdict)}">${esc(a.verdict)}</span>`;
    return `<tr class="${a.status}${a.inconclusive === true ? ' inconclusive' : ''}"><th>${name}</th><td>${esc(describeApproach(a))}</td>${cells}<td>${th}</td><td>${verdict}</td></tr>`;
  }).join('\n');
  const sentences = c.approaches.map((a) => `<li><strong>${esc(a.name)}</strong>: ${esc(a.sentence)}` +
    `${a.diagnosis === undefined || a.diagnosis.kind === 'none' ? '' : ` <span class="diagnosis" data-diagnosis="${esc(a.diagnosis.kind)}"><em>Diagnosis:</em> ${esc(a.diagnosis.sentence)}</span>`}</li>`).join('\n');
  const data = runs === undefined ? undefined : compareChartData(c, runs);
  const charts = runs === undefined ? '' : chartsSection(c, runs, data);
  const assets = data === undefined ? undefined : loadAssets();
  const scripts = assets === undefined ? [] : [scriptSafe(assets.uplotJs), scriptSafe(readFileSync(path.join(reportsDir(), 'compare-client.js'), 'utf8'))];
  const csp = `default-src 'none'; ${scripts.length > 0 ? `script-src ${scriptSrc(scripts)}; ` : ''}style-src 'unsafe-inline'`;
  const tail = data === undefined ? ''
    : `<script type="application/json" id="wsherd-compare-data">${jsonForScript(data)}</script>\n${scripts.map((js) => `<script>${js}</script>`).join('\n')}\n`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${esc(`${c.scenario} · comparison · wsherd`)}</title>
${assets === undefined ? '' : `<style>${styleSafe(assets.uplotCss)}</style>\n`}<style>\n${CSS}\n</style></head>
<body>
<h1>${esc(c.scenario)}: ${c.approaches.length} approaches compared</h1>
<p class="muted">${esc(c.startedAt)} → ${esc(c.endedAt)} · status ${esc(c.status)} · the same clients, phases and behaviour against each approach, each on a fresh lab. ★ marks the best value per column, among the approaches that were not inconclusive (generator saturated) and established more than they failed.</p>
<table><thead>${head}</thead><tbody>
${body}
</tbody></table>
${charts}
<h2>What happened</h2>
<ul>
${sentences}
</ul>
<p class="muted">Each approach's name links to its own report. Machine-readable: compare.json.</p>
${tail}</body></html>
`;
}
