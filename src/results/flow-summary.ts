/**
 * summary.flow of results.json: what scripted sessions did (named steps, frames, deliveries, roles), as
 * src/analysis/flow.ts and src/analysis/deliveries.ts compute it from the workers' merged flow buckets.
 */
import type { LatencyStats } from './derived.js';

export interface DeliveryTally {
  expected: number;
  accounted: number;
  lost: number;
  extra: number;
  /** lost / expected; null when nothing was expected. */
  loss: number | null;
}

export interface TopicTally extends DeliveryTally {
  topic: string;
}

export interface PairTally extends DeliveryTally {
  /** Publisher's backend. */
  from: string;
  /** Subscriber's backend. */
  to: string;
  /** from ≠ to; null when either side is 'unknown' (not attributed). */
  crossBackend: boolean | null;
}

/** One (topic, publisher's backend, subscriber's backend): the unit a merge of shards could sum. */
export interface KeyTally {
  topic: string;
  from: string;
  to: string;
  expected: number;
  accounted: number;
}

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
