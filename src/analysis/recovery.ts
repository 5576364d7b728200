/**
 * How clients came back after a fault (a backend killed, stopped, drained or added at `atSecond`), from the
 * per-second series alone: the reconnect storm's peak, how many reconnects it took, how long until the open
 * connections were back, and how many reconnects landed elsewhere than before. Pure: the lab calls it per fault.
 */
import type { SeriesPoint } from '../results/types.js';
import type { Recovery } from '../results/derived.js';

/** Open connections count as recovered at this share of the level before the fault. */
export const RECOVERED_SHARE = 0.99;

/**
 * @param series one point per second, in order (results.series)
 * @param atSecond the run second the fault happened in
 * @param target the open level to recover to; default the point just before `atSecond` (its own point at 0)
 * @param untilSecond end of the window, exclusive (e.g. the next fault's second); default the end of the series
 */
export function recoveryAfter(series: readonly SeriesPoint[], atSecond: number, target?: number, untilSecond?: number): Recovery {
  const window = series.filter((p) => p.t >= atSecond && (untilSecond === undefined || p.t < untilSecond));
  let stormPeakPerSecond = 0;
  let reconnectsTotal = 0;
  let moved = 0;
  let returned = 0;
  for (const p of window) {
    const r = p.reconnects;
    if (r === undefined) continue;
    stormPeakPerSecond = Math.max(stormPeakPerSecond, r.started);
    reconnectsTotal += r.started;
    moved += r.moved;
    returned += r.returned;
  }
  const before = series.find((p) => p.t === atSecond - 1) ?? series.find((p) => p.t === atSecond);
  const level = target ?? before?.open ?? 0;
  return {
    stormPeakPerSecond,
    reconnectsTotal,
    secondsToRecover: secondsToRecover(window, atSecond, level * RECOVERED_SHARE),
    movedFraction: moved + returned === 0 ? null : moved / (moved + returned),
  };
}

/**
 * The `open` gauge is sampled at the end of each second, so a fault late in its second may show only in the next
 * point: recovery is the first point at or above the threshold after the first one below it.
 */
function secondsToRecover(window: readonly SeriesPoint[], atSecond: number, threshold: number): number | null {
  const dip = window.findIndex((p) => p.open < threshold);
  if (dip < 0) return 0;
  const back = window.slice(dip + 1).find((p) => p.open >= threshold);
  return back === undefined ? null : back.t - atSecond;
}
