/**
 * The per-second series turned into columns for the report's charts (uPlot takes one array per series), and
 * thinned for long runs: a day-long soak has 86,400 seconds, more points than a chart can show and more bytes
 * than a report should carry. Each point then covers `step` seconds: gauges keep their maximum, per-second
 * counts their mean, so peaks and rates read the same as in a short run.
 */
import type { Results, SeriesPoint } from '../results/types.js';
import { skewStats } from '../analysis/skew.js';
import { decodeHistogram } from '../metrics/hdr.js';
import { HISTOGRAM_NAMES } from '../metrics/types.js';

/** Most points per chart line. */
export const MAX_POINTS = 2000;
/** Error codes charted one by one; the rest are summed as OTHER_ERRORS (more lines stop being readable). */
export const TOP_ERROR_CODES = 6;
export const OTHER_ERRORS = 'other';

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
  messagesReceived: number[];
  /** The most frequent error codes of the run (most first), then OTHER_ERRORS when there were more. */
  errorCodes: string[];
  /** errorsByCode[i][k]: errors of errorCodes[i] per second at point k; the columns sum to failed + dropped. */
  errorsByCode: number[][];
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
  const codes = topErrorCodes(series);
  const d: ChartData = {
    step, t: [], open: [], opened: [], failed: [], dropped: [], closed: [], messagesSent: [], messagesReceived: [],
    errorCodes: codes.columns, errorsByCode: codes.columns.map(() => []),
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
    d.messagesReceived.push(mean((p) => p.messagesReceived));
    codes.columns.forEach((code, k) => d.errorsByCode[k]?.push(mean((p) => codes.count(p, code))));
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

/** The top codes by count over the whole run (ties by name, so the order is stable), and how to read a column. */
function topErrorCodes(series: readonly SeriesPoint[]): { columns: string[]; count: (p: SeriesPoint, column: string) => number } {
  const totals = new Map<string, number>();
  for (const p of series) for (const [code, n] of Object.entries(p.errors)) if (n > 0) totals.set(code, (totals.get(code) ?? 0) + n);
  const ranked = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([code]) => code);
  const named = ranked.slice(0, TOP_ERROR_CODES);
  const top = new Set(named);
  const others = ranked.length > named.length;
  return {
    columns: others ? [...named, OTHER_ERRORS] : named,
    count: (p, column) => (others && column === OTHER_ERRORS
      ? Object.entries(p.errors).reduce((a, [code, n]) => a + (top.has(code) ? 0 : n), 0)
      : p.errors[column] ?? 0),
  };
}

/**
 * Latency against percentile, the classic HdrHistogram plot: x is 1/(1 − p), so 90 %, 99 %, 99.9 % … sit one
 * decade apart on a log axis and the tail gets as much room as the body. Every line shares the x points.
 */
export interface PercentileCurves {
  /** 1/(1 − p) for each point: 1 is the minimum (p = 0), 10 the p90, 100 the p99… */
  x: number[];
  names: string[];
  /** ms[i][k]: latency of names[i] at x[k] in ms; null beyond what that histogram's count resolves. */
  ms: (number | null)[][];
}

/** Points per decade of x: enough for a smooth curve, "a few dozen" per line. */
const PER_DECADE = 8;
/** Up to 99.9999 %: beyond that no run here has the samples to resolve a percentile. */
const MAX_DECADES = 6;

/** The percentile curve of each non-empty histogram; undefined when there is none. */
export function percentileCurves(histograms: Results['histograms']): PercentileCurves | undefined {
  const hs = HISTOGRAM_NAMES.flatMap((name) => {
    const enc = histograms[name];
    if (enc === undefined) return [];
    const h = decodeHistogram(enc);
    return h.totalCount > 0 ? [{ name, h }] : [];
  });
  if (hs.length === 0) return undefined;
  const maxCount = Math.max(...hs.map(({ h }) => h.totalCount));
  // One decade past the largest count, so that its maximum gets a point of its own.
  const decades = Math.min(MAX_DECADES, Math.floor(Math.log10(maxCount)) + 1);
  const x = Array.from({ length: decades * PER_DECADE + 1 }, (_, k) => round3(10 ** (k / PER_DECADE)));
  const ms = hs.map(({ h }) => {
    let maxShown = false;
    return x.map((xi) => {
      // A percentile finer than 1/count is the maximum: shown once, at the first point past the resolution.
      if (xi > h.totalCount) {
        if (maxShown) return null;
        maxShown = true;
        return round3(h.getValueAtPercentile(100) / 1000);
      }
      return round3(h.getValueAtPercentile(100 * (1 - 1 / xi)) / 1000);
    });
  });
  return { x, names: hs.map(({ name }) => name), ms };
}
