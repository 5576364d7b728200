/**
 * The per-worker recorder: everything a worker measures during the current second, turned into one delta
 * `SecondBucket` by `flush`. Recording is allocation-free on the hot path (counters are plain fields,
 * histograms are preallocated and reset after each flush).
 */
import { HISTOGRAM_NAMES, emptyCounters, type Counters, type HistogramName, type SecondBucket } from './types.js';
import { clampMicros, encodeHistogram, newHistogram, type Histogram } from './hdr.js';

/** Gauges sampled at the end of a second (see SecondBucket). */
export type BucketGauges = Pick<SecondBucket, 'open' | 'backendsOpen' | 'lagMaxMs' | 'fds'>;

export type CounterName = keyof Counters;

export class Recorder {
  private counters: Counters = emptyCounters();
  private errors: Record<string, number> = {};
  private opened: Record<string, number> = {};
  private readonly hists: Record<HistogramName, Histogram>;

  constructor() {
    this.hists = { connect: newHistogram(), handshake: newHistogram(), rtt: newHistogram() };
  }

  /** Record one latency sample in µs (clamped to the histogram's range). */
  record(name: HistogramName, micros: number): void {
    this.hists[name].recordValue(clampMicros(micros));
  }

  count(name: CounterName, n = 1): void {
    this.counters[name] += n;
  }

  /** Count one failure under its classified code (the caller also counts `failed` or `dropped`). */
  error(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  /** One new established connection attributed to backend `id` ('unknown' when unattributed). */
  backendOpened(id: string): void {
    this.opened[id] = (this.opened[id] ?? 0) + 1;
  }

  /** The delta bucket for second `t`; everything recorded since the previous flush goes into it. */
  flush(t: number, gauges: BucketGauges): SecondBucket {
    const hist: SecondBucket['hist'] = {};
    for (const name of HISTOGRAM_NAMES) {
      const h = this.hists[name];
      if (h.totalCount > 0) {
        hist[name] = encodeHistogram(h);
        h.reset();
      }
    }
    const bucket: SecondBucket = {
      t,
      counters: this.counters,
      errors: this.errors,
      backendsOpened: this.opened,
      open: gauges.open,
      backendsOpen: gauges.backendsOpen,
      lagMaxMs: gauges.lagMaxMs,
      fds: gauges.fds,
      hist,
    };
    this.counters = emptyCounters();
    this.errors = {};
    this.opened = {};
    return bucket;
  }
}
