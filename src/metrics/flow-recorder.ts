/**
 * The flow part of a worker's recorder (SecondBucket.flow, src/metrics/flow-types.ts): named steps, frames,
 * deliveries and roles. Like the rest of the Recorder it is allocation-light on the hot path: counters are plain
 * fields, a step's histogram is created the first time the step completes and then reset (not dropped) at each
 * flush, maps are only created in a second that uses them.
 */
import { MAX_FRAME_TYPES } from '../scenario/flow-types.js';
import type { DeliveryBucket, FlowBucket, FrameCounts, PairKey, StepBucket } from './flow-types.js';
import { clampMicros, encodeHistogram, newHistogram, type Histogram } from './hdr.js';

interface StepState {
  ok: number;
  errors: Record<string, number> | undefined;
  sample: string | undefined;
  hist: Histogram | undefined;
}

/** Counts of DeliveryBucket that are plain numbers. */
export type DeliveryCount = 'received' | 'early' | 'unaccounted' | 'self' | 'late' | 'stray';

export class FlowRecorder {
  private readonly steps = new Map<string, StepState>();
  private stepsTouched = false;
  private received = 0;
  private solicited = 0;
  private unsolicited = 0;
  private byType: Record<string, number> | undefined;
  /** Frame types seen over the worker's life: beyond MAX_FRAME_TYPES new ones are `other`. */
  private readonly typesSeen = new Set<string>();
  private deliveryHist: Histogram | undefined;
  private deliveryCounts: Record<DeliveryCount, number> = zeroDeliveries();
  private published: Record<string, number> | undefined;
  private memberships: Array<[string, string, number, number]> | undefined;
  private accounted: Record<PairKey, number> | undefined;
  private selfExpected: Record<PairKey, number> | undefined;
  private roles: Record<string, number> | undefined;
  /** Whether anything was recorded since the last flush (a flow run ships frames even when all zero). */
  private active = false;

  private step(name: string): StepState {
    let s = this.steps.get(name);
    if (s === undefined) {
      s = { ok: 0, errors: undefined, sample: undefined, hist: undefined };
      this.steps.set(name, s);
    }
    this.stepsTouched = true;
    return s;
  }

  /** A named step completed; `micros`: its latency (absent for steps that have none, e.g. an uncorrelated send). */
  stepOk(name: string, micros?: number): void {
    const s = this.step(name);
    s.ok++;
    if (micros !== undefined) (s.hist ??= newHistogram()).recordValue(clampMicros(micros));
  }

  /** A step failed with `code` (timeout, no_match, closed, send_failed, script_error, …); `sample` says how (first per second). */
  stepError(name: string, code: string, sample?: string): void {
    const s = this.step(name);
    const e = (s.errors ??= {});
    e[code] = (e[code] ?? 0) + 1;
    if (sample !== undefined && s.sample === undefined) s.sample = sample.slice(0, 200);
  }

  /** One received frame of a flow client; `type`: its frames.type value (undefined: no frames.type configured). */
  frame(solicited: boolean, type?: string | null): void {
    this.active = true;
    this.received++;
    if (solicited) this.solicited++;
    else this.unsolicited++;
    if (type === undefined) return;
    let key = type === null ? 'untyped' : type;
    if (type !== null && !this.typesSeen.has(key)) {
      if (this.typesSeen.size >= MAX_FRAME_TYPES) key = 'other';
      else this.typesSeen.add(key);
    }
    const b = (this.byType ??= {});
    b[key] = (b[key] ?? 0) + 1;
  }

  /** Receipt latency of one stamped frame, µs. */
  deliveryLatency(micros: number): void {
    (this.deliveryHist ??= newHistogram()).recordValue(clampMicros(micros));
  }

  delivery(kind: DeliveryCount, n = 1): void {
    this.active = true;
    this.deliveryCounts[kind] += n;
  }

  /** One publish stamped in run second `second`. */
  publish(second: number, topic: string, backend: string): void {
    const p = (this.published ??= {});
    const k = `${second}\t${topic}\t${backend}`;
    p[k] = (p[k] ?? 0) + 1;
  }

  membershipEnded(topic: string, backend: string, from: number, to: number): void {
    (this.memberships ??= []).push([topic, backend, from, to]);
  }

  accountedReceipts(pair: PairKey, n = 1): void {
    const a = (this.accounted ??= {});
    a[pair] = (a[pair] ?? 0) + n;
  }

  selfExpectedPublishes(pair: PairKey, n: number): void {
    if (n <= 0) return;
    const a = (this.selfExpected ??= {});
    a[pair] = (a[pair] ?? 0) + n;
  }

  roleStarted(role: string): void {
    const r = (this.roles ??= {});
    r[role] = (r[role] ?? 0) + 1;
  }

  /** This second's flow part, or undefined when nothing flow-related happened. */
  flush(): FlowBucket | undefined {
    const out: FlowBucket = {};
    if (this.stepsTouched) {
      const steps: Record<string, StepBucket> = {};
      for (const [name, s] of this.steps) {
        const hist = s.hist !== undefined && s.hist.totalCount > 0 ? encodeHistogram(s.hist) : undefined;
        if (s.ok === 0 && s.errors === undefined) continue;
        steps[name] = { ok: s.ok, ...(s.errors === undefined ? {} : { errors: s.errors }), ...(hist === undefined ? {} : { hist }), ...(s.sample === undefined ? {} : { sample: s.sample }) };
        s.ok = 0;
        s.errors = undefined;
        s.sample = undefined;
        s.hist?.reset();
      }
      out.steps = steps;
      this.stepsTouched = false;
    }
    if (this.active) {
      const frames: FrameCounts = { received: this.received, solicited: this.solicited, unsolicited: this.unsolicited, ...(this.byType === undefined ? {} : { byType: this.byType }) };
      out.frames = frames;
    }
    const d = this.deliveryCounts;
    const any = d.received > 0 || this.published !== undefined || this.memberships !== undefined || this.accounted !== undefined || this.selfExpected !== undefined || d.unaccounted > 0;
    if (any) {
      const hist = this.deliveryHist !== undefined && this.deliveryHist.totalCount > 0 ? encodeHistogram(this.deliveryHist) : undefined;
      const deliveries: DeliveryBucket = {
        received: d.received,
        ...(hist === undefined ? {} : { hist }),
        ...(this.published === undefined ? {} : { published: this.published }),
        ...(this.memberships === undefined ? {} : { memberships: this.memberships }),
        ...(this.accounted === undefined ? {} : { accounted: this.accounted }),
        ...(this.selfExpected === undefined ? {} : { selfExpected: this.selfExpected }),
        ...(d.early > 0 ? { early: d.early } : {}),
        ...(d.unaccounted > 0 ? { unaccounted: d.unaccounted } : {}),
        ...(d.self > 0 ? { self: d.self } : {}),
        ...(d.late > 0 ? { late: d.late } : {}),
        ...(d.stray > 0 ? { stray: d.stray } : {}),
      };
      out.deliveries = deliveries;
      this.deliveryHist?.reset();
    }
    if (this.roles !== undefined) out.roles = this.roles;
    this.received = this.solicited = this.unsolicited = 0;
    this.byType = undefined;
    this.deliveryCounts = zeroDeliveries();
    this.published = this.memberships = this.accounted = this.selfExpected = this.roles = undefined;
    this.active = false;
    return Object.keys(out).length === 0 ? undefined : out;
  }
}

function zeroDeliveries(): Record<DeliveryCount, number> {
  return { received: 0, early: 0, unaccounted: 0, self: 0, late: 0, stray: 0 };
}
