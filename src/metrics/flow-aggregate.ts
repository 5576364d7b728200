/**
 * Merges the flow part of SecondBuckets (src/metrics/flow-types.ts) from any number of workers, seconds or shards,
 * in any order. Everything is a sum — counts, per-key records, HDR histograms (bucket by bucket) — and memberships are
 * concatenated, so the merge is exact and order-free. What is expected and lost is computed afterwards from the
 * merged whole (src/analysis/deliveries.ts): it needs every publish and every membership of the run at once.
 */
import type { FlowBucket, PairKey, StepBucket } from './flow-types.js';
import { addEncoded, encodeHistogram, newHistogram, type Histogram } from './hdr.js';

export interface MergedStep {
  ok: number;
  errors: Record<string, number>;
  hist: Histogram;
  /** The first failure's description (a script's throw: the client and message), earliest second first. */
  sample?: string;
}

/** The merged deliveries: raw inputs of the delivery accounting, plus the receipt counts. */
export interface MergedDeliveries {
  hist: Histogram;
  /** `${second}\t${topic}\t${publisherBackend}` → publishes. */
  published: Record<string, number>;
  memberships: Array<[topic: string, subscriberBackend: string, from: number, to: number]>;
  accounted: Record<PairKey, number>;
  selfExpected: Record<PairKey, number>;
  received: number;
  early: number;
  unaccounted: number;
  self: number;
  late: number;
  stray: number;
}

export interface MergedFlow {
  steps: Map<string, MergedStep>;
  frames: { received: number; solicited: number; unsolicited: number; byType: Record<string, number> };
  deliveries: MergedDeliveries;
  roles: Record<string, number>;
}

function addRecord(into: Record<string, number>, from: Record<string, number> | undefined): void {
  if (!from) return;
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export class FlowAggregator {
  private seen = false;
  private readonly merged: MergedFlow = {
    steps: new Map(),
    frames: { received: 0, solicited: 0, unsolicited: 0, byType: {} },
    deliveries: {
      hist: newHistogram(), published: {}, memberships: [], accounted: {}, selfExpected: {},
      received: 0, early: 0, unaccounted: 0, self: 0, late: 0, stray: 0,
    },
    roles: {},
  };

  /** Merge one bucket's flow part (absent: nothing to merge). */
  add(f: FlowBucket | undefined): void {
    if (f === undefined) return;
    this.seen = true;
    const m = this.merged;
    for (const [name, s] of Object.entries(f.steps ?? {})) {
      let step = m.steps.get(name);
      if (step === undefined) {
        step = { ok: 0, errors: {}, hist: newHistogram() };
        m.steps.set(name, step);
      }
      step.ok += s.ok;
      addRecord(step.errors, s.errors);
      if (s.sample !== undefined && step.sample === undefined) step.sample = s.sample;
      if (s.hist !== undefined) addEncoded(step.hist, s.hist);
    }
    if (f.frames !== undefined) {
      m.frames.received += f.frames.received;
      m.frames.solicited += f.frames.solicited;
      m.frames.unsolicited += f.frames.unsolicited;
      addRecord(m.frames.byType, f.frames.byType);
    }
    const d = f.deliveries;
    if (d !== undefined) {
      const into = m.deliveries;
      if (d.hist !== undefined) addEncoded(into.hist, d.hist);
      addRecord(into.published, d.published);
      for (const ms of d.memberships ?? []) into.memberships.push([ms[0], ms[1], ms[2], ms[3]]);
      addRecord(into.accounted, d.accounted);
      addRecord(into.selfExpected, d.selfExpected);
      into.received += d.received;
      into.early += d.early ?? 0;
      into.unaccounted += d.unaccounted ?? 0;
      into.self += d.self ?? 0;
      into.late += d.late ?? 0;
      into.stray += d.stray ?? 0;
    }
    addRecord(m.roles, f.roles);
  }

  /** True once any bucket carried a flow part: the run had a flow, roles or a script. */
  has(): boolean {
    return this.seen;
  }

  /** The merged totals (live objects: do not mutate). */
  result(): MergedFlow {
    return this.merged;
  }

  /** The merged totals as one bucket, histograms encoded: added to an empty FlowAggregator it gives these totals. */
  snapshot(): FlowBucket {
    const m = this.merged;
    const steps: Record<string, StepBucket> = {};
    for (const [name, s] of m.steps) {
      steps[name] = {
        ok: s.ok,
        ...(Object.keys(s.errors).length === 0 ? {} : { errors: { ...s.errors } }),
        ...(s.hist.totalCount === 0 ? {} : { hist: encodeHistogram(s.hist) }),
        ...(s.sample === undefined ? {} : { sample: s.sample }),
      };
    }
    const { hist, memberships, ...d } = m.deliveries;
    return {
      steps,
      frames: { ...m.frames, byType: { ...m.frames.byType } },
      deliveries: { ...d, ...(hist.totalCount === 0 ? {} : { hist: encodeHistogram(hist) }), memberships: memberships.map((x) => [...x]) },
      roles: { ...m.roles },
    };
  }
}

/**
 * The same flow bucket on a clock `seconds` later: publishes are keyed by their run second and memberships span
 * run seconds, so a shard whose second 0 came later is shifted onto the merged run's clock before it is added.
 */
export function shiftFlow(f: FlowBucket, seconds: number): FlowBucket {
  const d = f.deliveries;
  if (seconds === 0 || d === undefined) return f;
  const published: Record<string, number> = {};
  for (const [key, n] of Object.entries(d.published ?? {})) {
    const tab = key.indexOf('\t');
    published[`${Number(key.slice(0, tab)) + seconds}${key.slice(tab)}`] = n;
  }
  const memberships = (d.memberships ?? []).map(([topic, backend, from, to]): [string, string, number, number] => [topic, backend, from + seconds, to + seconds]);
  return { ...f, deliveries: { ...d, published, memberships } };
}
