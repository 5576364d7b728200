/**
 * The port cliff: when the proxy runs out of local ports towards a backend. Each (source address, backend
 * address:port) pair has the port range's worth of ports; every open upstream connection holds one, and so does
 * every connection the proxy closed first for 60 s (TIME_WAIT). So a pair sustains about range − churn × 60
 * concurrent connections, and under steady churn it runs out when open + closes of the last 60 s reach the range.
 *
 * The prediction is made from the scenario's own schedule (the exact opens and closes the workers will make), not
 * from what happened, so the run can confirm or refute it; the measurement comes from the per-second probes of
 * /proc/net/tcp (ports the busiest pair held when the first failure came).
 */
import { slotIntervals, withChurn } from '../load/schedule.js';
import type { Scenario } from '../scenario/types.js';
import type { ProbeSeries } from '../results/observed.js';
import type { PortCliff } from '../results/derived.js';
import { TIME_WAIT_S } from '../run/preflight.js';

/** Per second of the plan: connections open at its end, and connections closed during it (all slots). */
export function plannedChurn(scenario: Scenario): { open: number[]; closes: number[] } {
  const b = scenario.behavior;
  const seconds = Math.ceil(scenario.phases.reduce((n, p) => n + p.durationMs, 0) / 1000) + 1;
  const delta = new Array<number>(seconds + 1).fill(0);
  const closes = new Array<number>(seconds + 1).fill(0);
  for (const slot of slotIntervals(scenario.phases, scenario.clients)) {
    for (const iv of b.lifetimeMs === undefined ? slot : withChurn(slot, b.lifetimeMs, b.thinkTimeMs ?? 0)) {
      const o = Math.min(seconds, Math.floor(iv.openAt / 1000));
      const c = Math.min(seconds, Math.floor(iv.closeAt / 1000));
      delta[o]! += 1;
      delta[c]! -= 1;
      closes[c]! += 1;
    }
  }
  const open: number[] = [];
  let now = 0;
  for (const d of delta) open.push((now += d));
  return { open, closes };
}

export function findPortCliff(scenario: Scenario, probes: ProbeSeries, backendAddrs: readonly string[], firstFailureSecond: number | null): PortCliff | undefined {
  const backends = new Set(backendAddrs);
  // The proxy's upstream source addresses; unbound, the kernel picks the loopback address. Health checks come from
  // the kernel-picked address too, so with sources set their pairs are left out.
  const sources = scenario.lab?.proxy.sourceAddresses;
  const fromProxy = (local: string): boolean => sources === undefined || sources.includes(local);
  const range = probes.portRange[1] - probes.portRange[0] + 1;
  // Proxy → backend pairs: the remote end is a backend's listening address, the local end an ephemeral port.
  const pairKeys = new Set<string>();
  let busiest: { local: string; remote: string; peak: number } | undefined;
  for (const point of probes.series) {
    for (const p of point.pairs) {
      if (!backends.has(p.remote) || !fromProxy(p.local)) continue;
      pairKeys.add(`${p.local} ${p.remote}`);
      const held = p.established + p.timeWait + p.other;
      if (busiest === undefined || held > busiest.peak) busiest = { local: p.local, remote: p.remote, peak: held };
    }
  }
  if (busiest === undefined) return undefined;
  const pairs = Math.max(1, (sources?.length ?? 1) * backends.size, pairKeys.size);
  const proxyHoldsTimeWait = scenario.behavior.close === 'client-fin';
  const { open, closes } = plannedChurn(scenario);
  let predictedPeak = 0;
  let predictedSecond: number | null = null;
  let window = 0;
  for (let t = 0; t < open.length; t++) {
    if (proxyHoldsTimeWait) window += (closes[t] ?? 0) - (t >= TIME_WAIT_S ? (closes[t - TIME_WAIT_S] ?? 0) : 0);
    const held = ((open[t] ?? 0) + window) / pairs;
    predictedPeak = Math.max(predictedPeak, held);
    if (predictedSecond === null && held >= range) predictedSecond = t;
  }
  const b = scenario.behavior;
  const churn = b.lifetimeMs === undefined ? 0 : scenario.clients / ((b.lifetimeMs + (b.thinkTimeMs ?? 0)) / 1000) / pairs;
  const perPairOpen = scenario.clients / pairs;
  const sustainable = Math.floor(range - (proxyHoldsTimeWait ? churn * TIME_WAIT_S : 0));
  const formula = proxyHoldsTimeWait && churn > 0
    ? `${fmt(range)} ports − ${fmt(churn)}/s × ${TIME_WAIT_S} s TIME_WAIT per pair; ${fmt(perPairOpen)} open + ${fmt(churn)}/s reach ${fmt(range)} after ≈ ${fmt((range - perPairOpen) / churn)} s of churn`
    : `${fmt(range)} ports per pair, held only by open connections (the proxy does not close first, so it holds no TIME_WAIT)`;
  const heldAtFailure = firstFailureSecond === null ? null : heldNear(probes, busiest, firstFailureSecond);
  return {
    local: busiest.local,
    remote: busiest.remote,
    range,
    pairs,
    proxyHoldsTimeWait,
    predictedPeak: Math.round(predictedPeak),
    predictedSecond,
    sustainable,
    formula,
    heldAtFailure,
    peakHeld: busiest.peak,
    deviation: heldAtFailure === null ? null : heldAtFailure / range - 1,
  };
}

/** The most ports the pair held in the probes up to the end of the first failing second. */
function heldNear(probes: ProbeSeries, pair: { local: string; remote: string }, second: number): number | null {
  let best: number | null = null;
  for (const point of probes.series) {
    if (point.t > second + 1) break;
    const p = point.pairs.find((x) => x.local === pair.local && x.remote === pair.remote);
    if (p !== undefined) best = Math.max(best ?? 0, p.established + p.timeWait + p.other);
  }
  return best;
}

export function describePortCliff(k: PortCliff, measuredSecond: number | null, depleted: boolean): string {
  const pair = `${k.local} → ${k.remote}`;
  const predicted = k.predictedSecond === null
    ? `the schedule predicts at most ${fmt(k.predictedPeak)} of ${fmt(k.range)} ports per pair, never the whole range`
    : `the schedule predicts the range runs out at second ${k.predictedSecond} (${k.formula})`;
  if (!depleted) return `No port depletion: the busiest upstream pair ${pair} held at most ${fmt(k.peakHeld)} of ${fmt(k.range)} ports; ${predicted}.`;
  const held = k.heldAtFailure === null ? '' : `, holding ${fmt(k.heldAtFailure)} of its ${fmt(k.range)} ports (ESTABLISHED + TIME_WAIT)`;
  const off = k.predictedSecond === null || measuredSecond === null ? '' : measuredSecond - k.predictedSecond === 0 ? ': as predicted' : `: ${Math.abs(measuredSecond - k.predictedSecond)} s ${measuredSecond > k.predictedSecond ? 'later' : 'earlier'} than predicted`;
  return `The proxy ran out of local ports towards ${k.remote} at second ${measuredSecond ?? '?'} on ${pair}${held}; ${predicted}${off}.`;
}

const fmt = (n: number): string => (Number.isInteger(n) ? n : Math.round(n * 10) / 10).toLocaleString('en-US');
