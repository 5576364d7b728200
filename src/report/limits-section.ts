/**
 * The report's limits panel: where the run hit a limit (the cliff, measured beside its prediction), who failed
 * (forensics), and the lab's own resources over time from the per-second probes — fds per component against its
 * limit, and the sockets towards the lab's ports (ESTABLISHED, TIME_WAIT) against the port range.
 */
import { describeAttribution } from '../analysis/forensics.js';
import type { ProbeSeries } from '../results/observed.js';
import type { Results } from '../results/types.js';
import { fmtBytes, fmtInt, fmtPct } from './format.js';
import { chartBox } from './html-sections.js';
import { esc } from './html-util.js';

/** The probes as chart columns (one x axis of their own: sampling seconds), thinned like the main series. */
export interface ProbeChart {
  t: number[];
  ids: string[];
  /** fds[i][k]: open fds of component ids[i] at point k (-1 when it could not be read: drawn as a gap). */
  fds: (number | null)[][];
  /** The fd limit of each component (its largest seen). */
  limits: number[];
  established: number[];
  timeWait: number[];
  /** Ports one source address has towards one destination (the range's size). */
  portsPerSource: number;
  /** The busiest (source → destination) pairs, most ports held first: ports held (every state) and TIME_WAIT. */
  pairs: Array<{ label: string; held: number[]; timeWait: number[] }>;
}

/** Pairs charted one by one: beyond a few, lines stop being readable and the busiest is what runs out first. */
const CHART_PAIRS = 3;

export function probeChart(p: ProbeSeries, maxPoints = 2000): ProbeChart {
  const ids = [...new Set(p.series.flatMap((x) => Object.keys(x.components)))];
  const step = Math.max(1, Math.ceil(p.series.length / maxPoints));
  const peaks = new Map<string, number>();
  // Only pairs whose local end is the ephemeral one hold ports of the range; the accepting side's view (local end with
  // its listening port) is the same connections seen from the server.
  for (const x of p.series) for (const q of x.pairs) {
    if (/^\[.*\]:\d+$|^[^:]+:\d+$/.test(q.local)) continue;
    const key = `${q.local} → ${q.remote}`;
    peaks.set(key, Math.max(peaks.get(key) ?? 0, q.established + q.timeWait + q.other));
  }
  const top = [...peaks].sort((a, b) => b[1] - a[1]).slice(0, CHART_PAIRS).map(([k]) => k);
  const out: ProbeChart = {
    t: [], ids, fds: ids.map(() => []), limits: ids.map(() => 0), established: [], timeWait: [], portsPerSource: p.portRange[1] - p.portRange[0] + 1,
    pairs: top.map((label) => ({ label, held: [], timeWait: [] })),
  };
  for (let i = 0; i < p.series.length; i += step) {
    const chunk = p.series.slice(i, i + step);
    out.t.push(Math.round((chunk[0]?.t ?? 0) * 1000) / 1000);
    ids.forEach((id, k) => {
      const vals = chunk.map((x) => x.components[id]?.fds ?? -1).filter((v) => v >= 0);
      out.fds[k]?.push(vals.length === 0 ? null : Math.max(...vals));
      for (const x of chunk) out.limits[k] = Math.max(out.limits[k] ?? 0, x.components[id]?.fdLimit ?? 0);
    });
    out.established.push(Math.max(...chunk.map((x) => x.pairs.reduce((n, q) => n + q.established, 0))));
    out.timeWait.push(Math.max(...chunk.map((x) => x.pairs.reduce((n, q) => n + q.timeWait, 0))));
    for (const pair of out.pairs) {
      const found = chunk.map((x) => x.pairs.find((q) => `${q.local} → ${q.remote}` === pair.label));
      pair.held.push(Math.max(0, ...found.map((q) => (q === undefined ? 0 : q.established + q.timeWait + q.other))));
      pair.timeWait.push(Math.max(0, ...found.map((q) => q?.timeWait ?? 0)));
    }
  }
  return out;
}

function cliffPorts(r: Results): string {
  const k = r.analysis?.cliff?.ports;
  if (k === undefined) return '';
  return `; the predicted second the range runs out${k.predictedSecond === null ? ' (never, by the schedule)' : ` ${k.predictedSecond}`} and the first failure are marked`;
}

export function limitsSection(r: Results, pc: ProbeChart | undefined): string {
  const cliff = r.analysis?.cliff;
  const forensics = r.analysis?.forensics ?? [];
  if (cliff === undefined && forensics.length === 0 && pc === undefined) return '';
  const parts: string[] = [];
  if (cliff !== undefined) parts.push(`<p class="diagnosis">${esc(cliff.diagnosis)}</p>`);
  if (forensics.length > 0) parts.push(`<h3>Failures by side</h3><ul>${forensics.map((a) => `<li>${esc(describeAttribution(a))}</li>`).join('')}</ul>`);
  if (pc !== undefined && pc.t.length > 0) {
    const rows = pc.ids.map((id, k) => {
      const peak = Math.max(0, ...(pc.fds[k] ?? []).map((v) => v ?? 0));
      const limit = pc.limits[k] ?? 0;
      const rss = Math.max(0, ...(r.probes?.series ?? []).map((x) => x.components[id]?.rssBytes ?? 0));
      return `<tr><th>${esc(id)}</th><td class="num">${fmtInt(peak)} / ${fmtInt(limit)} <span class="muted">(${limit > 0 ? fmtPct(peak / limit, 1) : '–'})</span></td><td class="num">${esc(fmtBytes(rss))}</td></tr>`;
    }).join('\n');
    // Against an external target there are no components: only the client side's sockets are charted.
    if (pc.ids.length > 0) {
      parts.push(`<table class="data"><thead><tr><th>component</th><th class="num">peak fds / limit</th><th class="num">peak rss</th></tr></thead><tbody>\n${rows}\n</tbody></table>`);
      parts.push(chartBox('fds', 'Open fds per lab component', '(each line against its own limit in the table above; dashed: a limit the component came near)'));
    }
    if (pc.established.some((v) => v > 0) || pc.timeWait.some((v) => v > 0)) {
      parts.push(chartBox('ports', r.lab === undefined ? 'The generator\'s sockets towards the target: ESTABLISHED and TIME_WAIT' : 'Sockets towards the lab\'s ports: ESTABLISHED and TIME_WAIT', `(all pairs summed; one source address has ${fmtInt(pc.portsPerSource)} ports per destination: port range ${r.probes?.portRange.join('-') ?? ''})`));
      parts.push(chartBox('pairs', 'Ports held per (source → destination) pair against the range', `(the busiest ${pc.pairs.length} pair${pc.pairs.length === 1 ? '' : 's'}: every state, and TIME_WAIT dashed; the red line is the range${cliffPorts(r)})`));
    }
  }
  return `<section id="limits"><h2>Limits</h2>${parts.join('\n')}</section>`;
}
