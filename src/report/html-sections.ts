/**
 * The report's sections, rendered on the server side so tables and numbers read without JavaScript; the
 * client script only draws the charts into the `.chart` placeholders. A section with no data returns '' and
 * is left out, never shown empty.
 */
import type { Results } from '../results/types.js';
import { HISTOGRAM_NAMES } from '../metrics/types.js';
import type { ChartData, PercentileCurves } from './chart-data.js';
import { hasValues } from './chart-data.js';
import { fmtDuration, fmtInt, fmtTimestamp, fmtLimit, fmtMetric, fmtMs, fmtPct, fmtRatio } from './format.js';
import { esc } from './html-util.js';
import { ROUND_TRIP_NOTE, skippedText } from './timing.js';
import { oneLineSummary, verdictOf } from './verdict.js';
import { diagnose } from '../analysis/diagnosis.js';

export function chartBox(id: string, title: string, note = ''): string {
  return `<figure class="chart-box"><figcaption>${esc(title)}${note ? ` <span class="muted">${esc(note)}</span>` : ''}</figcaption>` +
    `<div class="chart" id="chart-${esc(id)}" data-chart="${esc(id)}"></div></figure>`;
}

function stat(value: string, label: string, tone = ''): string {
  return `<div class="stat${tone ? ` stat-${tone}` : ''}"><div class="stat-v">${esc(value)}</div><div class="stat-k">${esc(label)}</div></div>`;
}

export function stepNote(cd: ChartData): string {
  return cd.step > 1 ? `(each point covers ${cd.step} s)` : '';
}

export function headerSection(r: Results): string {
  const v = verdictOf(r);
  const target = r.target.kind === 'lab'
    ? `reference lab${r.scenario.lab ? `, ${r.scenario.lab.backends.count} backends, ${r.scenario.lab.proxy.strategy} (${r.scenario.lab.proxy.mode})` : ''}`
    : 'external target';
  const banner = v.partial
    ? `<div class="banner" role="alert"><strong>Partial results.</strong> The run ${r.status === 'aborted' ? 'was aborted' : 'failed'} before ` +
      `finishing its plan${v.reason ? `: ${esc(v.reason)}` : ''}. Numbers below cover only the part that ran.</div>`
    : '';
  const reason = v.reason && !v.partial ? `<div class="reason">${esc(v.reason)}</div>` : '';
  return `<header class="verdict verdict-${v.kind}">
<div class="verdict-top"><div>
<div class="eyebrow">wsherd run report</div>
<h1>${esc(r.scenario.name)}</h1>
<div class="meta">${esc(fmtTimestamp(r.startedAt))} · ${esc(fmtDuration(r.durationMs))} · <code>${esc(r.target.url)}</code> · ${esc(target)}</div>
</div><div class="badge">${esc(v.label)}</div></div>
${reason}${banner}
<p class="summary-line">${esc(oneLineSummary(r))}</p>
<p class="diagnosis" data-diagnosis="${esc(diagnose(r).kind)}"><strong>Diagnosis.</strong> ${esc(diagnose(r).sentence)}</p>

${thresholdTable(r)}
</header>`;
}

function thresholdTable(r: Results): string {
  if (r.thresholds.length === 0) return '<p class="muted">No thresholds were set.</p>';
  const rows = r.thresholds.map((t) => `<tr class="${t.pass ? 'pass' : 'fail'}">` +
    `<td class="mark">${t.pass ? '✓' : '✗'}</td><td><code>${esc(t.source)}</code></td>` +
    `<td class="num">${esc(fmtMetric(t.metric, t.measured))}</td><td class="num">${esc(fmtLimit(t.metric, t.op, t.value))}</td>` +
    `<td class="muted">${esc(t.note ?? '')}</td></tr>`).join('\n');
  return `<table class="thresholds"><thead><tr><th></th><th>threshold</th><th class="num">measured</th><th class="num">limit</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

export function connectionsSection(r: Results, cd: ChartData): string {
  const k = r.summary.counters;
  if (k.attempted === 0 && cd.t.length === 0) return '';
  const stats = [
    stat(fmtInt(k.attempted), 'attempted'),
    stat(fmtInt(k.established), 'established'),
    stat(fmtInt(k.failed), 'failed', k.failed > 0 ? 'bad' : ''),
    stat(fmtInt(k.dropped), 'dropped', k.dropped > 0 ? 'bad' : ''),
    stat(fmtInt(r.summary.peakOpen), 'peak open'),
    stat(`${fmtInt(r.summary.openRate.mean)}/s`, `mean open rate (max ${fmtInt(r.summary.openRate.max)}/s)`),
  ];
  if (k.messagesSent > 0) stats.push(stat(fmtInt(k.messagesSent), `messages sent (${fmtInt(k.messagesLost)} lost${skippedText(k)})`, k.messagesLost > 0 || (k.messagesSkipped ?? 0) > 0 ? 'warn' : ''));
  const chart = cd.t.length > 0 ? chartBox('connections', 'Open connections, new and failed per second', stepNote(cd)) : '';
  const messages = hasValues(cd.messagesSent) || hasValues(cd.messagesReceived)
    ? chartBox('messages', 'Messages per second, sent and received', stepNote(cd)) : '';
  return `<section id="connections"><h2>Connections</h2><div class="stats">${stats.join('')}</div>${chart}${messages}</section>`;
}

export function latencySection(r: Results, cd: ChartData, curves?: PercentileCurves): string {
  const rows = HISTOGRAM_NAMES.flatMap((name) => {
    const s = r.summary.latency[name];
    return s !== undefined && s.count > 0 ? [{ name, s }] : [];
  });
  const chart = hasValues(cd.rttP50) || hasValues(cd.rttP99) || hasValues(cd.connectP99);
  if (rows.length === 0 && !chart && curves === undefined) return '';
  const head = ['', 'count', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean', 'stddev'];
  const body = rows.map(({ name, s }) => `<tr><th>${esc(name)}</th><td class="num">${fmtInt(s.count)}</td>` +
    [s.p50, s.p90, s.p95, s.p99, s.p999, s.max, s.mean, s.stddev].map((x) => `<td class="num">${esc(fmtMs(x))}</td>`).join('') + '</tr>').join('\n');
  const table = rows.length > 0
    ? `<table class="data"><thead><tr>${head.map((h, i) => `<th${i > 0 ? ' class="num"' : ''}>${h}</th>`).join('')}</tr></thead><tbody>\n${body}\n</tbody></table>
<p class="muted small">Milliseconds. connect: TCP connect; handshake: TCP connected to 101; rtt: message echo round trip. ${esc(ROUND_TRIP_NOTE)}</p>`
    : '';
  const chartHtml = chart ? chartBox('latency', 'Latency per second (ms)', stepNote(cd)) : '';
  const curveHtml = curves === undefined ? ''
    : chartBox('percentiles', 'Latency by percentile (ms)', '(the whole run; log axis: each step right is one more nine)');
  return `<section id="latency"><h2>Latency</h2>${table}${chartHtml}${curveHtml}</section>`;
}

export function backendsSection(r: Results, cd: ChartData): string {
  const per = r.backends.perBackend;
  if (per.length === 0 && r.backends.unattributed === 0) return '';
  const max = Math.max(...per.map((b) => b.connections), 1);
  const even = per.length > 0 ? per.reduce((a, b) => a + b.connections, 0) / per.length : 0;
  const seen = per.some((b) => b.sessionsSeenByBackend !== undefined);
  const bars = per.map((b) => `<div class="bar-row"><span class="bar-label">${esc(b.id)}</span>` +
    `<span class="bar-track"><span class="bar-fill" style="width:${((b.connections / max) * 100).toFixed(2)}%"></span>` +
    `<span class="bar-even" style="left:${((even / max) * 100).toFixed(2)}%" title="even share"></span></span>` +
    `<span class="bar-val">${fmtInt(b.connections)} <span class="muted">· ${fmtPct(b.share, 1)}</span>` +
    `${seen ? ` <span class="muted small">(backend saw ${b.sessionsSeenByBackend === undefined ? '–' : fmtInt(b.sessionsSeenByBackend)})</span>` : ''}</span></div>`).join('\n');
  const un = r.backends.unattributed > 0
    ? `<p class="note">${fmtInt(r.backends.unattributed)} established connections were not attributed to any backend (the target sent no identity).</p>`
    : '';
  const s = r.backends.skew;
  const skew = s
    ? `<div class="stats">${stat(fmtRatio(s.peakToAverage), 'peak / average')}${stat(fmtRatio(s.cv), 'coefficient of variation')}` +
      `${stat(fmtRatio(s.jain), "Jain's fairness (1 = even)")}${stat(fmtPct(s.minShare, 1), 'min share')}${stat(fmtPct(s.maxShare, 1), 'max share')}</div>`
    : '';
  const chart = cd.backendIds.length > 0 && cd.backendsOpen.some((col) => hasValues(col))
    ? chartBox('backends', 'Open connections per backend', stepNote(cd)) : '';
  const skewChart = cd.backendIds.length > 1 && cd.peakToAverage.some((v) => v !== null)
    ? chartBox('skew', 'Skew over time: busiest backend / average, and Jain\'s fairness', '(of open connections, each second)') : '';
  return `<section id="backends"><h2>Backends</h2>
<div class="bars" aria-label="connections per backend">${bars}</div>
<p class="muted small">Connections each backend received; the thin mark is the even share.</p>${un}${skew}${populationHtml(r)}${chart}${skewChart}</section>`;
}

/** The scenario's faults, each with what the clients did after it (also marked on the connections chart). */
export function faultsSection(r: Results): string {
  const list = r.faults ?? [];
  if (list.length === 0) return '';
  const analysis = r.analysis?.faults ?? [];
  const rows = list.map((f) => {
    const a = analysis.find((x) => x.atSecond === f.atSecond && x.action === f.action);
    const fmt = (v: number | null | undefined, f2: (x: number) => string): string => (v === null || v === undefined ? '–' : f2(v));
    return `<tr><td class="num">${esc(String(f.atSecond))} s</td><th>${esc(f.action)} ${esc(f.backend ?? '')}</th><td>${f.ok ? esc(f.detail) : `<span class="bad">failed: ${esc(f.detail)}</span>`}</td>` +
      `<td class="num">${fmt(a?.reconnectsTotal, fmtInt)}</td><td class="num">${fmt(a?.stormPeakPerSecond, fmtInt)}</td><td class="num">${fmt(a?.secondsToRecover, (x) => `${x} s`)}</td>` +
      `<td class="num">${fmt(a?.movedFraction, (x) => fmtPct(x, 1))}</td><td class="num">${fmt(a?.remapFraction, (x) => fmtPct(x, 1))}${a?.idealRemap === null || a?.idealRemap === undefined ? '' : ` <span class="muted">(least needed ${fmtPct(a.idealRemap, 1)})</span>`}</td></tr>`;
  }).join('\n');
  const sentences = analysis.map((a) => `<li>${esc(a.sentence)}</li>`).join('');
  return `<section id="faults"><h2>Faults</h2><table class="data"><thead><tr><th class="num">at</th><th>fault</th><th>what happened</th><th class="num">reconnects</th><th class="num">peak /s</th><th class="num">back after</th><th class="num">reconnects moved</th><th class="num">came back elsewhere</th></tr></thead><tbody>\n${rows}\n</tbody></table>${sentences ? `<ul>${sentences}</ul>` : ''}</section>`;
}

/** Which population group sent its connections where, and which drove the hottest backend. */
function populationHtml(r: Results): string {
  const pop = r.backends.population;
  if (pop === undefined) return '';
  const ids = r.backends.perBackend.map((b) => b.id);
  const head = `<tr><th>group</th><th class="num">share</th><th class="num">addresses</th><th class="num">connections</th>${ids.map((id) => `<th class="num">${esc(id)}</th>`).join('')}</tr>`;
  const rows = pop.groups.map((g) => `<tr><th>${esc(g.name)}</th><td class="num">${fmtPct(g.share, 1)}</td><td class="num">${fmtInt(g.addresses)}</td><td class="num">${fmtInt(g.connections)}</td>` +
    ids.map((id) => {
      const n = g.perBackend[id] ?? 0;
      const hot = pop.hottest?.backend === id && pop.hottest.group === g.name;
      return `<td class="num${hot ? ' bad' : ''}">${n === 0 ? '<span class="muted">0</span>' : fmtInt(n)}</td>`;
    }).join('') + '</tr>').join('\n');
  return `<h3>Population</h3><p class="diagnosis">${esc(pop.diagnosis)}</p><table class="data"><thead>${head}</thead><tbody>\n${rows}\n</tbody></table>`;
}
