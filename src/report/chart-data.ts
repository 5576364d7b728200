/**
 * The per-second series turned into columns for the report's charts (uPlot takes one array per series), and
 * thinned for long runs: a day-long soak has 86,400 seconds, more points than a chart can show and more bytes
 * than a report should carry. Each point then covers `step` seconds: gauges keep their maximum, per-second
 * counts their mean, so peaks and rates read the same as in a short run.
 */
import type { SeriesPoint } from '../results/types.js';
import { skewStats } from '../analysis/skew.js';

/** Most points per chart line. */
export const MAX_POINTS = 2000;

export interface ChartData {
  /** Seconds each point covers (1 unless thinned). */
  step: number;
  t: number[];
  open: number[];
  opened: number[];
  failed: number[];
  dropped: number[];
  closed: number[];
  messagesSent: number[];
  rttP50: (number | null)[];
  rttP99: (number | null)[];
  connectP99: (number | null)[];
  lagMaxMs: number[];
  fds: number[];
  backendIds: string[];
  /** backendsOpen[i][k]: open connections on backendIds[i] at point k. */
  backendsOpen: number[][];
  /** Skew of the open connections at each point: busiest / average and Jain's index; null with nothing open. */
  peakToAverage: (number | null)[];
  jain: (number | null)[];
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function chartData(series: readonly SeriesPoint[], backendIds: readonly string[], maxPoints = MAX_POINTS): ChartData {
  const ids = [...backendIds];
  for (const p of series) for (const id of Object.keys(p.backendsOpen)) if (!ids.includes(id)) ids.push(id);
  const step = Math.max(1, Math.ceil(series.length / maxPoints));
  const d: ChartData = {
    step, t: [], open: [], opened: [], failed: [], dropped: [], closed: [], messagesSent: [],
    rttP50: [], rttP99: [], connectP99: [], lagMaxMs: [], fds: [], backendIds: ids, backendsOpen: ids.map(() => []),
    peakToAverage: [], jain: [],
  };
  for (let i = 0; i < series.length; i += step) {
    const chunk = series.slice(i, i + step);
    const first = chunk[0] as SeriesPoint;
    const max = (f: (p: SeriesPoint) => number): number => Math.max(...chunk.map(f));
    const mean = (f: (p: SeriesPoint) => number): number => round3(chunk.reduce((a, p) => a + f(p), 0) / chunk.length);
    const nullable = (f: (p: SeriesPoint) => number | null, agg: 'mean' | 'max'): number | null => {
      const vals = chunk.map(f).filter((v): v is number => v !== null);
      if (vals.length === 0) return null;
      return round3(agg === 'max' ? Math.max(...vals) : vals.reduce((a, v) => a + v, 0) / vals.length);
    };
    d.t.push(first.t);
    d.open.push(max((p) => p.open));
    d.opened.push(mean((p) => p.opened));
    d.failed.push(mean((p) => p.failed));
    d.dropped.push(mean((p) => p.dropped));
    d.closed.push(mean((p) => p.closed));
    d.messagesSent.push(mean((p) => p.messagesSent));
    d.rttP50.push(nullable((p) => p.rttP50, 'mean'));
    d.rttP99.push(nullable((p) => p.rttP99, 'max'));
    d.connectP99.push(nullable((p) => p.connectP99, 'max'));
    d.lagMaxMs.push(max((p) => p.lagMaxMs));
    d.fds.push(max((p) => p.fds));
    ids.forEach((id, k) => d.backendsOpen[k]?.push(max((p) => p.backendsOpen[id] ?? 0)));
    // Over every backend of the run ('unknown' is not one): a backend left with nothing open counts as 0.
    const last = chunk[chunk.length - 1] as SeriesPoint;
    const s = skewStats(ids.filter((id) => id !== 'unknown').map((id) => last.backendsOpen[id] ?? 0));
    d.peakToAverage.push(s === null ? null : round3(s.peakToAverage));
    d.jain.push(s === null ? null : round3(s.jain));
  }
  return d;
}

/** True when a column has at least one value worth drawing. */
export function hasValues(col: readonly (number | null)[]): boolean {
  return col.some((v) => v !== null && v !== 0);
}
