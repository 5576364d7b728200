/**
 * summary.flow of results.json: what scripted sessions did — named steps (completions, failures by code, latency),
 * frames received (solicited, unsolicited, by type), deliveries (expected, accounted, lost, latency; per topic, per
 * backend pair) and the clients each role started — from the merged flow parts of the workers' buckets.
 */
import type { MergedFlow } from '../metrics/flow-aggregate.js';
import { encodeHistogram, latencyStats } from '../metrics/hdr.js';
import type { LatencyStats } from '../results/types.js';
import { accountDeliveries, type DeliveryTally, type KeyTally, type PairTally, type TopicTally } from './deliveries.js';

export interface StepSummary {
  ok: number;
  /** Failures by code: timeout, no_match, closed, send_failed, script_error, … */
  errors: Record<string, number>;
  /** Sum of errors. */
  errorCount: number;
  /** errors / (ok + errors); null when the step never ended. */
  errorRate: number | null;
  /** Completions' latency (ms). */
  latency: LatencyStats;
  /** How the first failure went (a script's throw: `client N: message`, secret data redacted). */
  sample?: string;
}

export interface FrameSummary {
  received: number;
  solicited: number;
  unsolicited: number;
  byType: Record<string, number>;
}

export interface DeliverySummary extends DeliveryTally {
  /** Publishes sent (stamped). */
  published: number;
  /** Stamped frames received, accounted or not. */
  received: number;
  /** Of received: published in or before the subscriber's join second (not accounted). */
  early: number;
  /** Of received: published within delivery_timeout of the subscriber's leave (not accounted). */
  unaccounted: number;
  /** Of received: a client's own publishes coming back to it (not accounted). */
  self: number;
  /** Of received: arrived more than delivery_timeout after the stamp (still accounted when covered). */
  late: number;
  /** Of received: no membership of the stamp's topic at all (not accounted). */
  stray: number;
  /** Memberships that ended (joins closed by a leave or the connection's end). */
  memberships: number;
  /** Publisher's stamp → receipt (ms). */
  latency: LatencyStats;
  /** Every topic, most lost first, then most expected. */
  byTopic: TopicTally[];
  /** Per (publisher's backend, subscriber's backend). */
  byPair: PairTally[];
  sameBackend: DeliveryTally;
  crossBackend: DeliveryTally;
  /** Per (topic, publisher's backend, subscriber's backend): the sums a merge of shards with disjoint topics adds. */
  byKey: KeyTally[];
  /** How delivery latency was timed. */
  clock: string;
}

export interface FlowSummary {
  /** By step name (named steps, `flow` for unnamed ones' failures, `script` for a script's uncaught errors). */
  steps: Record<string, StepSummary>;
  frames: FrameSummary;
  deliveries: DeliverySummary;
  /** With behavior.roles: clients started per role. */
  roles?: Record<string, number>;
}

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
