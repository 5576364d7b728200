/**
 * The ONE aggregator: merges SecondBuckets from any number of sources (worker processes during a run, shard
 * results afterwards) in any order. Buckets are deltas, so merging is summation; histograms merge exactly
 * (HDR counts are added bucket by bucket), so percentiles of the merge equal those of recording everything in
 * one histogram.
 *
 * Per-second histograms are kept as their encoded strings (a few hundred bytes each) and only decoded when a
 * second's percentiles are asked for, then cached until another bucket for that second arrives: a decoded
 * histogram is ~95 kB, far too much to keep for every second of an hour-long run.
 */
import { HISTOGRAM_NAMES, emptyCounters, type Counters, type HistogramName, type RawMetrics, type RawSecond, type SecondBucket } from './types.js';
import type { Results, SeriesPoint } from '../results/types.js';
import { addEncoded, encodeHistogram, latencyStats, newHistogram, type Histogram } from './hdr.js';
import { mergeEncoded, percentilesOfEncoded } from './hdr-sparse.js';
import { FlowAggregator, shiftFlow, type MergedFlow } from './flow-aggregate.js';
import type { FlowBucket } from './flow-types.js';

/** A merged second: a SecondBucket whose histograms are kept as the list of encoded parts merged into it. */
interface SecondState extends Omit<SecondBucket, 'hist'> {
  hist: Partial<Record<HistogramName, string[]>>;
  /** Open-connection peaks per 10 ms slot, summed over the sources that shipped them (SecondBucket.openSlots). */
  openSlots?: number[];
  /** Sum of `open` of the sources that shipped no slots this second: flat for that second. */
  flatOpen: number;
  /** Flow clients' deliveries received and step failures this second (sources that shipped a flow part). */
  flowSecond?: { deliveries: number; stepErrors: number };
  /** Per-second percentiles, computed lazily; undefined when stale. */
  cached: Pick<SeriesPoint, 'rttP50' | 'rttP99' | 'connectP99'> | undefined;
}

function addCounters(into: Counters, from: Counters): void {
  for (const k of Object.keys(into) as (keyof Counters)[]) into[k] = (into[k] ?? 0) + (from[k] ?? 0);
}

function addRecord(into: Record<string, number>, from: Record<string, number> | undefined): void {
  if (!from) return;
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** A flow bucket's per-second figures: deliveries received and named-step failures. */
function flowSecondOf(f: FlowBucket): { deliveries: number; stepErrors: number } {
  let stepErrors = 0;
  for (const step of Object.values(f.steps ?? {})) for (const n of Object.values(step.errors ?? {})) stepErrors += n;
  return { deliveries: f.deliveries?.received ?? 0, stepErrors };
}

function emptyPoint(t: number): SeriesPoint {
  return {
    t, open: 0, opened: 0, failed: 0, dropped: 0, closed: 0, errors: {}, messagesSent: 0, messagesReceived: 0,
    rttP50: null, rttP99: null, connectP99: null, backendsOpen: {}, lagMaxMs: 0, fds: 0,
  };
}

export class Aggregator {
  private readonly seconds = new Map<number, SecondState>();
  private readonly total: Counters = emptyCounters();
  private readonly errorTotals: Record<string, number> = {};
  private readonly backendTotals: Record<string, number> = {};
  private readonly totalHists = Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, newHistogram()])) as Record<HistogramName, Histogram>;
  private readonly sessionTotals: Record<string, number> = {};
  /** One description per error code (the first that arrived). */
  private readonly samples: Record<string, string> = {};
  private hasSessions = false;
  private readonly groupTotals: Record<string, Record<string, number>> = {};
  private readonly flowTotals = new FlowAggregator();

  /** Merge one bucket or many, from any source, in any order. */
  add(buckets: SecondBucket | readonly SecondBucket[]): void {
    const list: readonly SecondBucket[] = Array.isArray(buckets) ? buckets : [buckets as SecondBucket];
    for (const b of list) this.addOne(b);
  }

  private addOne(b: SecondBucket): void {
    const s = this.second(b.t);
    const { t: _t, hist: _hist, flow, ...parts } = b;
    this.addSecond(s, {
      ...parts,
      flatOpen: b.openSlots === undefined ? b.open : 0,
      fds: Math.max(0, b.fds),
      ...(flow === undefined ? {} : { flow: flowSecondOf(flow) }),
    });
    for (const [code, text] of Object.entries(b.errorSamples ?? {})) this.samples[code] ??= text;
    for (const [group, counts] of Object.entries(b.groupBackends ?? {})) addRecord((this.groupTotals[group] ??= {}), counts);
    this.flowTotals.add(b.flow);
    if (b.sessions !== undefined) {
      this.hasSessions = true;
      addRecord(this.sessionTotals, b.sessions as Record<string, number>);
    }
    for (const name of HISTOGRAM_NAMES) {
      const enc = b.hist[name];
      if (enc === undefined) continue;
      (s.hist[name] ??= []).push(enc);
      addEncoded(this.totalHists[name], enc);
    }
  }

  /** What a worker's bucket and a shard's raw second both add into second `s` (their histograms apart). */
  private addSecond(s: SecondState, r: Omit<RawSecond, 't' | 'hist'>): void {
    addCounters(s.counters, r.counters);
    addCounters(this.total, r.counters);
    addRecord(s.errors, r.errors);
    addRecord(this.errorTotals, r.errors);
    addRecord(s.backendsOpened, r.backendsOpened);
    addRecord(this.backendTotals, r.backendsOpened);
    if (r.flow !== undefined) {
      const f = (s.flowSecond ??= { deliveries: 0, stepErrors: 0 });
      f.deliveries += r.flow.deliveries;
      f.stepErrors += r.flow.stepErrors;
    }
    s.open += r.open;
    s.flatOpen += r.flatOpen;
    if (r.openSlots !== undefined) {
      const sum = (s.openSlots ??= new Array<number>(r.openSlots.length).fill(0));
      r.openSlots.forEach((v, i) => { sum[i] = (sum[i] ?? 0) + v; });
    }
    s.fds += r.fds;
    addRecord(s.backendsOpen, r.backendsOpen);
    s.lagMaxMs = Math.max(s.lagMaxMs, r.lagMaxMs);
    if (r.rehomed !== undefined) {
      const x = (s.rehomed ??= { same: 0, moved: 0 });
      x.same += r.rehomed.same;
      x.moved += r.rehomed.moved;
    }
    if (r.reconnects !== undefined) {
      const x = (s.reconnects ??= { started: 0, moved: 0, returned: 0 });
      x.started += r.reconnects.started;
      x.moved += r.reconnects.moved;
      x.returned += r.reconnects.returned;
    }
    s.cached = undefined;
  }

  /**
   * The run's raw metrics (src/metrics/types.ts): added into an empty Aggregator with addRaw they give the same
   * figures, so a shard's results carry what an exact merge needs. Each second's histograms merged into one.
   */
  raw(): RawMetrics {
    const seconds: RawSecond[] = [];
    for (const t of [...this.seconds.keys()].sort((a, b) => a - b)) {
      const s = this.seconds.get(t) as SecondState;
      const hist: RawSecond['hist'] = {};
      for (const name of ['rtt', 'connect'] as const) {
        const encs = s.hist[name];
        if (encs !== undefined && encs.length > 0) hist[name] = encs.length === 1 ? encs[0] : encodeHistogram(mergeEncoded(encs));
      }
      seconds.push({
        t, counters: { ...s.counters }, errors: { ...s.errors }, backendsOpened: { ...s.backendsOpened },
        open: s.open, flatOpen: s.flatOpen, ...(s.openSlots === undefined ? {} : { openSlots: [...s.openSlots] }),
        backendsOpen: { ...s.backendsOpen }, lagMaxMs: s.lagMaxMs, fds: s.fds, hist,
        ...(s.reconnects === undefined ? {} : { reconnects: { ...s.reconnects } }),
        ...(s.rehomed === undefined ? {} : { rehomed: { ...s.rehomed } }),
        ...(s.flowSecond === undefined ? {} : { flow: { ...s.flowSecond } }),
      });
    }
    return {
      seconds,
      hist: this.encodedHistograms(),
      ...(this.hasSessions ? { sessions: { ...this.sessionTotals } } : {}),
      errorSamples: { ...this.samples },
      groupBackends: this.groupBackends(),
      ...(this.flowTotals.has() ? { flow: this.flowTotals.snapshot() } : {}),
    };
  }

  /** Add a run's raw metrics (a shard's), its seconds `shift` later on this run's clock (shards aligned by wall clock). */
  addRaw(raw: RawMetrics, shift = 0): void {
    for (const r of raw.seconds) {
      const s = this.second(r.t + shift);
      this.addSecond(s, r);
      for (const name of ['rtt', 'connect'] as const) {
        const enc = r.hist[name];
        if (enc !== undefined) (s.hist[name] ??= []).push(enc);
      }
    }
    for (const name of HISTOGRAM_NAMES) {
      const enc = raw.hist[name];
      if (enc !== undefined) addEncoded(this.totalHists[name], enc);
    }
    if (raw.sessions !== undefined) {
      this.hasSessions = true;
      addRecord(this.sessionTotals, raw.sessions);
    }
    for (const [code, text] of Object.entries(raw.errorSamples)) this.samples[code] ??= text;
    for (const [group, counts] of Object.entries(raw.groupBackends)) addRecord((this.groupTotals[group] ??= {}), counts);
    if (raw.flow !== undefined) this.flowTotals.add(shiftFlow(raw.flow, shift));
  }

  private second(t: number): SecondState {
    let s = this.seconds.get(t);
    if (!s) {
      s = {
        t, counters: emptyCounters(), errors: {}, backendsOpened: {}, open: 0, backendsOpen: {},
        lagMaxMs: 0, fds: 0, hist: {}, cached: undefined, flatOpen: 0,
      };
      this.seconds.set(t, s);
    }
    return s;
  }

  /** Highest second that has data, or -1 when nothing was added. */
  lastSecond(): number {
    let last = -1;
    for (const t of this.seconds.keys()) last = Math.max(last, t);
    return last;
  }

  /** The merged point for second `t` (an empty point when no source reported that second). */
  point(t: number): SeriesPoint {
    const s = this.seconds.get(t);
    if (!s) return emptyPoint(t);
    if (s.cached === undefined) {
      const [rttP50, rttP99] = this.secondPercentiles(s, 'rtt', [50, 99]);
      const [connectP99] = this.secondPercentiles(s, 'connect', [99]);
      s.cached = { rttP50: rttP50 ?? null, rttP99: rttP99 ?? null, connectP99: connectP99 ?? null };
    }
    return {
      t,
      open: s.open,
      openMax: this.openMax(s),
      opened: s.counters.established,
      failed: s.counters.failed,
      dropped: s.counters.dropped,
      closed: s.counters.closedClean,
      errors: { ...s.errors },
      messagesSent: s.counters.messagesSent,
      messagesReceived: s.counters.messagesReceived,
      ...s.cached,
      backendsOpen: { ...s.backendsOpen },
      lagMaxMs: s.lagMaxMs,
      fds: s.fds,
      ...(s.reconnects === undefined ? {} : { reconnects: { ...s.reconnects } }),
      ...(s.rehomed === undefined ? {} : { rehomed: { ...s.rehomed } }),
      ...(s.flowSecond === undefined ? {} : { flow: { ...s.flowSecond } }),
    };
  }

  /** Percentiles (ms) of second `s`'s merged histogram `name`: nulls when nothing was recorded. */
  private secondPercentiles(s: SecondState, name: HistogramName, ps: readonly number[]): (number | null)[] {
    const encs = s.hist[name];
    if (encs === undefined || encs.length === 0) return ps.map(() => null);
    return percentilesOfEncoded(encs, ps).map((us) => (us === null ? null : us / 1000));
  }

  /** One point per second from 0 to the last second with data, gaps filled with empty points. */
  series(): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    const last = this.lastSecond();
    for (let t = 0; t <= last; t++) out.push(this.point(t));
    return out;
  }

  totals(): Counters {
    return { ...this.total };
  }

  errorsByCode(): Record<string, number> {
    return { ...this.errorTotals };
  }

  /** Established connections per backend id over the whole run ('unknown' = unattributed). */
  backendCounts(): Record<string, number> {
    return { ...this.backendTotals };
  }

  /** The merged whole-run histograms (live objects: do not mutate). */
  histograms(): Record<HistogramName, Histogram> {
    return this.totalHists;
  }

  /** Whole-run histograms, compressed base64; empty ones omitted. */
  encodedHistograms(): Partial<Record<HistogramName, string>> {
    const out: Partial<Record<HistogramName, string>> = {};
    for (const name of HISTOGRAM_NAMES) {
      const h = this.totalHists[name];
      if (h.totalCount > 0) out[name] = encodeHistogram(h);
    }
    return out;
  }

  /** connect, handshake, rtt always; upgrade and ack when a session engine recorded any; lookup likewise; the corrected round trips when recorded. */
  latency(): Results['summary']['latency'] {
    const { upgrade, ack, lookup, rtt_corrected: rttCorrected, ack_corrected: ackCorrected } = this.totalHists;
    return {
      connect: latencyStats(this.totalHists.connect),
      handshake: latencyStats(this.totalHists.handshake),
      rtt: latencyStats(this.totalHists.rtt),
      ...(upgrade.totalCount > 0 ? { upgrade: latencyStats(upgrade) } : {}),
      ...(ack.totalCount > 0 ? { ack: latencyStats(ack) } : {}),
      ...(lookup.totalCount > 0 ? { lookup: latencyStats(lookup) } : {}),
      ...(rttCorrected.totalCount > 0 ? { rtt_corrected: latencyStats(rttCorrected) } : {}),
      ...(ackCorrected.totalCount > 0 ? { ack_corrected: latencyStats(ackCorrected) } : {}),
    };
  }

  /** With a population: connections per group and backend (group → backend id → n). */
  groupBackends(): Record<string, Record<string, number>> {
    return Object.fromEntries(Object.entries(this.groupTotals).map(([g, c]) => [g, { ...c }]));
  }

  /** One sample description per error code that had any. */
  errorSamples(): Record<string, string> {
    return { ...this.samples };
  }

  /** Session event totals (socketio, engineio engines), or undefined when no session engine ran. */
  sessionCounts(): Record<string, number> | undefined {
    return this.hasSessions ? { ...this.sessionTotals } : undefined;
  }

  /** Scripted sessions' merged steps, frames and deliveries (src/metrics/flow-aggregate.ts), or undefined when no
   *  bucket carried a flow part. */
  flow(): MergedFlow | undefined {
    return this.flowTotals.has() ? this.flowTotals.result() : undefined;
  }

  /**
   * The most connections open at once in second `s`: the slot-wise sum of the workers' 10 ms peaks, at its highest
   * slot. Exact with one worker (every establishment and end is counted); with several, each worker's peak within
   * a 10 ms slot is added, so the figure can exceed the true simultaneous peak only by connections that opened and
   * closed in different workers within the same 10 ms. Never below the second-end gauge.
   */
  private openMax(s: SecondState): number {
    if (s.openSlots === undefined) return s.open;
    return Math.max(s.open, s.flatOpen + Math.max(0, ...s.openSlots));
  }

  /** The run's peak of open connections (see openMax), over every second. */
  peakOpen(): number {
    let peak = 0;
    for (const s of this.seconds.values()) peak = Math.max(peak, this.openMax(s));
    return peak;
  }

  /** Connections established per second: mean over the seconds with openings, and the max. */
  openRate(): { mean: number; max: number } {
    let sum = 0;
    let n = 0;
    let max = 0;
    for (const s of this.seconds.values()) {
      const e = s.counters.established;
      if (e > 0) {
        sum += e;
        n++;
        max = Math.max(max, e);
      }
    }
    return { mean: n === 0 ? 0 : sum / n, max };
  }
}
