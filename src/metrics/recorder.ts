/**
 * The per-worker recorder: everything a worker measures during the current second, turned into one delta
 * `SecondBucket` by `flush`. Recording is allocation-free on the hot path (counters are plain fields,
 * histograms are preallocated and reset after each flush).
 */
import { HISTOGRAM_NAMES, OPEN_SLOTS, OPEN_SLOT_MS, emptyCounters, type Counters, type HistogramName, type ReconnectCounts, type RehomeCounts, type SecondBucket, type SessionEvent } from './types.js';
import { clampMicros, encodeHistogram, newHistogram, type Histogram } from './hdr.js';
import { FlowRecorder } from './flow-recorder.js';

/** Gauges sampled at the end of a second (see SecondBucket). */
export type BucketGauges = Pick<SecondBucket, 'open' | 'backendsOpen' | 'lagMaxMs' | 'fds'>;

export type CounterName = keyof Counters;

export class Recorder {
  private counters: Counters = emptyCounters();
  private errors: Record<string, number> = {};
  private opened: Record<string, number> = {};
  private readonly hists: Record<HistogramName, Histogram>;

  /** Connections open now (established − ended), reset to the exact gauge at each flush so it never drifts. */
  private openNow = 0;
  /** The second being filled (the one after the last flush): slots are relative to its start. */
  private currentSecond = 0;
  /** Per slot of the current second: the most open during it and the level after its last event (−1: no event). */
  private readonly slotMax = new Array<number>(OPEN_SLOTS).fill(-1);
  private readonly slotLast = new Array<number>(OPEN_SLOTS).fill(-1);
  private slotsTouched = false;
  /** The open level at the start of the current second. */
  private openAtStart = 0;

  /** `clock`: the run's time in ms (the worker's), for the per-slot peak of open connections; without it no slots. */
  constructor(private readonly clock?: () => number) {
    this.hists = Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, newHistogram()])) as Record<HistogramName, Histogram>;
  }

  private sessions: Partial<Record<SessionEvent, number>> | undefined;

  /** Count a session event (socketio and engineio engines). */
  session(event: SessionEvent, n = 1): void {
    const s = (this.sessions ??= {});
    s[event] = (s[event] ?? 0) + n;
  }

  /** Record one latency sample in µs (clamped to the histogram's range). */
  record(name: HistogramName, micros: number): void {
    this.hists[name].recordValue(clampMicros(micros));
  }

  count(name: CounterName, n = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
    if (this.clock === undefined) return;
    if (name === 'established') this.openMoved(n);
    else if (name === 'closedClean' || name === 'dropped') this.openMoved(-n);
  }

  /** The open count changed: note the new level in the current 10 ms slot (a late flush lands in the last slot). */
  private openMoved(delta: number): void {
    this.openNow = Math.max(0, this.openNow + delta);
    const at = (this.clock as () => number)() - this.currentSecond * 1000;
    const i = Math.min(OPEN_SLOTS - 1, Math.max(0, Math.floor(at / OPEN_SLOT_MS)));
    if (this.openNow > this.slotMax[i]!) this.slotMax[i] = this.openNow;
    this.slotLast[i] = this.openNow;
    this.slotsTouched = true;
  }

  /** Each slot's peak, carrying the level through slots without an event; the second-end gauge caps the last. */
  private openSlots(endGauge: number): number[] {
    const out = new Array<number>(OPEN_SLOTS);
    let level = this.openAtStart;
    for (let i = 0; i < OPEN_SLOTS; i++) {
      out[i] = Math.max(level, this.slotMax[i]!);
      if (this.slotLast[i]! >= 0) level = this.slotLast[i]!;
      this.slotMax[i] = -1;
      this.slotLast[i] = -1;
    }
    out[OPEN_SLOTS - 1] = Math.max(out[OPEN_SLOTS - 1]!, endGauge);
    return out;
  }

  /**
   * Count one failure under its classified code (the caller also counts `failed` or `dropped`). `sample`: what
   * exactly happened (e.g. `404 text/html: <!DOCTYPE…`); the first per code and second is shipped, so a summary
   * can name what the target answered without storing every occurrence.
   */
  error(code: string, sample?: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    if (sample !== undefined && this.samples?.[code] === undefined) (this.samples ??= {})[code] = sample.slice(0, 200);
  }

  private samples: Record<string, string> | undefined;

  private flowPart: FlowRecorder | undefined;

  /** Steps, frames, deliveries and roles of scripted sessions (created on first use: runs without flows ship none). */
  get flow(): FlowRecorder {
    return (this.flowPart ??= new FlowRecorder());
  }

  /** One new established connection attributed to backend `id` ('unknown' when unattributed). */
  backendOpened(id: string): void {
    this.opened[id] = (this.opened[id] ?? 0) + 1;
  }

  private groups: Record<string, Record<string, number>> | undefined;

  /**
   * One connection of a population group ended on backend `id` (counted at its end, when its backend is known;
   * connections that never reached a backend are not counted).
   */
  groupBackend(group: string, id: string): void {
    const g = ((this.groups ??= {})[group] ??= {});
    g[id] = (g[id] ?? 0) + 1;
  }

  private reconnects: ReconnectCounts | undefined;
  private rehomed: RehomeCounts | undefined;

  /** A connection that ended on its slot's previous backend (same) or another (moved). */
  rehome(event: keyof RehomeCounts): void {
    (this.rehomed ??= { same: 0, moved: 0 })[event]++;
  }

  /** One reconnect begun, or one established on another backend than the slot's last (moved) or the same (returned). */
  reconnect(event: keyof ReconnectCounts): void {
    (this.reconnects ??= { started: 0, moved: 0, returned: 0 })[event]++;
  }

  /** The delta bucket for second `t`; everything recorded since the previous flush goes into it. */
  flush(t: number, gauges: BucketGauges): SecondBucket {
    // A second without any establishment or end is flat at its gauge: no slots to ship (the aggregator knows).
    const slots = this.clock === undefined ? undefined : this.openSlots(gauges.open);
    const shipSlots = this.slotsTouched || (slots !== undefined && slots[0] !== gauges.open);
    // The exact count of open clients at the second's end: the running count restarts from it.
    this.openNow = gauges.open;
    this.openAtStart = gauges.open;
    this.currentSecond = t + 1;
    const hist: SecondBucket['hist'] = {};
    for (const name of HISTOGRAM_NAMES) {
      const h = this.hists[name];
      if (h.totalCount > 0) {
        hist[name] = encodeHistogram(h);
        h.reset();
      }
    }
    const flow = this.flowPart?.flush();
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
      ...(this.sessions === undefined ? {} : { sessions: this.sessions }),
      ...(this.samples === undefined ? {} : { errorSamples: this.samples }),
      ...(this.groups === undefined ? {} : { groupBackends: this.groups }),
      ...(this.reconnects === undefined ? {} : { reconnects: this.reconnects }),
      ...(this.rehomed === undefined ? {} : { rehomed: this.rehomed }),
      ...(slots === undefined || !shipSlots ? {} : { openSlots: slots }),
      ...(flow === undefined ? {} : { flow }),
    };
    this.slotsTouched = false;
    this.groups = undefined;
    this.reconnects = undefined;
    this.rehomed = undefined;
    this.sessions = undefined;
    this.samples = undefined;
    this.counters = emptyCounters();
    this.errors = {};
    this.opened = {};
    return bucket;
  }
}
