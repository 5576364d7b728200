/**
 * summary.flow of results.json: what scripted sessions did — named steps (completions, failures by code, latency),
 * frames received (solicited, unsolicited, by type), deliveries (expected, accounted, lost, latency; per topic, per
 * backend pair) and the clients each role started — from the merged flow parts of the workers' buckets.
 */
import type { MergedFlow } from '../metrics/flow-aggregate.js';
import { encodeHistogram, latencyStats } from '../metrics/hdr.js';
import { accountDeliveries } from './deliveries.js';
import type { DeliverySummary, FlowSummary, StepSummary } from '../results/flow-summary.js';

export const DELIVERY_CLOCK_NOTE = 'one host: publisher and subscriber ran on the same host, timed on its clock';

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

export function summarizeFlow(m: MergedFlow): FlowSummary {
  const steps: Record<string, StepSummary> = {};
  for (const name of [...m.steps.keys()].sort()) {
    const s = m.steps.get(name);
    if (s === undefined) continue;
    const errorCount = sum(s.errors);
    steps[name] = {
      ok: s.ok, errors: { ...s.errors }, errorCount,
      errorRate: s.ok + errorCount > 0 ? errorCount / (s.ok + errorCount) : null,
      latency: latencyStats(s.hist),
      ...(s.sample === undefined ? {} : { sample: s.sample }),
    };
  }
  const d = m.deliveries;
  const acc = accountDeliveries(d);
  const deliveries: DeliverySummary = {
    published: sum(d.published), received: d.received, ...acc.total,
    early: d.early, unaccounted: d.unaccounted, self: d.self, late: d.late, stray: d.stray,
    memberships: d.memberships.length, latency: latencyStats(d.hist),
    byTopic: acc.byTopic, byPair: acc.byPair, sameBackend: acc.sameBackend, crossBackend: acc.crossBackend, byKey: acc.byKey,
    clock: DELIVERY_CLOCK_NOTE,
  };
  return {
    steps,
    frames: { ...m.frames, byType: { ...m.frames.byType } },
    deliveries,
    ...(Object.keys(m.roles).length === 0 ? {} : { roles: { ...m.roles } }),
  };
}

/** The whole-run step and delivery histograms, encoded (`step:NAME`, `delivery`), empty ones omitted: kept in
 *  results.json so merged shards' percentiles stay exact. */
export function flowHistograms(m: MergedFlow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, s] of m.steps) if (s.hist.totalCount > 0) out[`step:${name}`] = encodeHistogram(s.hist);
  if (m.deliveries.hist.totalCount > 0) out['delivery'] = encodeHistogram(m.deliveries.hist);
  return out;
}
