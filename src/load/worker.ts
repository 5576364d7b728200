/**
 * One load-generator worker: owns the client slots s with s % workerCount === workerId, opens and closes them
 * on the deterministic schedule, and turns what they measure into one SecondBucket per second of the run.
 *
 * Time: second 0 begins at the plan's `startAt` (epoch ms, the same for every worker), so buckets from all
 * workers line up. Internally everything runs on performance.now(), anchored once to `startAt`, because the
 * wall clock may step during a run.
 *
 * One 10 ms tick drives the schedule, the timer wheel and the per-second flush; the clients themselves never
 * own a timer. The worker is library code with no process I/O: worker-main.ts connects it to IPC.
 */
import { performance, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { WorkerGauges, WorkerPlan } from './protocol.js';
import type { SecondBucket } from '../metrics/types.js';
import { Recorder } from '../metrics/recorder.js';
import { TimerWheel } from './wheel.js';
import type { ClientContext } from './ws-client.js';
import { createClient, type LoadClient } from './client.js';
import { plannedDurationMs, slotIntervals, withChurn } from './schedule.js';
import { fdLimit, openFds } from '../probes/proc.js';
import { assignPopulation, type SlotAssignment } from './population.js';

const TICK_MS = 10;

/** A scheduled change of one slot, ms since the run's start. */
interface SlotEvent {
  at: number;
  slot: number;
  open: boolean;
}

export type WorkerEnd = 'finished' | 'aborted' | 'deadline';

export interface WorkerSink {
  buckets(buckets: SecondBucket[], gauges: WorkerGauges): void;
  done(reason: WorkerEnd): void;
}

export class LoadWorker {
  private readonly recorder = new Recorder();
  private readonly wheel: TimerWheel;
  private readonly ctx: ClientContext;
  private readonly events: SlotEvent[];
  private next = 0;
  /** performance.now() at the run's second 0. */
  private readonly origin: number;
  private readonly plannedMs: number;
  private readonly deadlineMs: number;
  /** Clients not yet ended, by slot (one connection per slot at a time). */
  private readonly active = new Map<number, LoadClient>();
  /** The second the recorder is currently filling. */
  private second = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly lag: IntervalHistogram;
  private ended = false;
  private maxRss = 0;
  /** fds open at the last flush. */
  private lastFds = 0;
  /** Worst event-loop delay of the seconds flushed since the last gauges() call, ms. */
  private lagSinceGauges = 0;
  /** Resident memory before the first connection: the baseline for memory per connection. */
  private readonly startRss = process.memoryUsage.rss();
  private readonly fdLimit = fdLimit();
  /** Each slot's source address and group, when the scenario has a population. */
  private readonly population: SlotAssignment | undefined;
  private readonly groupNames: string[];

  constructor(
    private readonly plan: WorkerPlan,
    private readonly sink: WorkerSink,
  ) {
    const nowPerf = performance.now();
    this.origin = nowPerf + (plan.startAt - Date.now());
    this.plannedMs = plannedDurationMs(plan.phases);
    this.deadlineMs = plan.deadlineAt - plan.startAt;
    this.wheel = new TimerWheel(TICK_MS, 2048, nowPerf);
    this.ctx = {
      behavior: plan.behavior,
      recorder: this.recorder,
      wheel: this.wheel,
      insecure: plan.insecure,
      ...(plan.ca === undefined ? {} : { ca: plan.ca }),
      onEnd: (c) => {
        if (this.active.get(c.slot) === c) this.active.delete(c.slot);
        // Which group's clients each backend got: what tells a NAT's weight from the strategy's arithmetic.
        if (this.population !== undefined && c.backend !== undefined) {
          this.recorder.groupBackend(this.groupNames[this.population.group[c.slot] as number] as string, c.backend);
        }
      },
    };
    this.population = plan.population === undefined ? undefined : assignPopulation(plan.population, plan.clients);
    this.groupNames = plan.population?.groups.map((g) => g.name) ?? [];
    this.events = ownEvents(plan);
    this.lag = monitorEventLoopDelay({ resolution: TICK_MS });
  }

  start(): void {
    this.lag.enable();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Stop now (abort or the coordinator's deadline): established connections end as planned ends. */
  stop(reason: 'aborted' | 'deadline'): void {
    if (this.ended) return;
    for (const c of [...this.active.values()]) c.terminate();
    this.finish(reason);
  }

  private runMs(): number {
    return performance.now() - this.origin;
  }

  private tick(): void {
    const now = performance.now();
    const t = now - this.origin;
    if (t < 0) return;
    this.flushUpTo(t);
    while (this.next < this.events.length && (this.events[this.next] as SlotEvent).at <= t) {
      this.apply(this.events[this.next] as SlotEvent);
      this.next++;
    }
    this.wheel.advance(now);
    if (t >= this.deadlineMs) {
      this.stop('deadline');
    } else if (this.next >= this.events.length && this.active.size === 0 && t >= this.plannedMs) {
      this.finish('finished');
    }
  }

  private apply(ev: SlotEvent): void {
    const current = this.active.get(ev.slot);
    if (!ev.open) {
      current?.close();
      return;
    }
    // A slot reopening while its previous connection is still closing: that one is ended first.
    current?.terminate();
    const client = createClient(this.ctx, ev.slot);
    this.active.set(ev.slot, client);
    const { urls, sourceAddresses } = this.plan;
    const url = urls[ev.slot % urls.length] as string;
    const local = this.population !== undefined
      ? this.population.address[ev.slot]
      : sourceAddresses.length > 0 ? sourceAddresses[ev.slot % sourceAddresses.length] : undefined;
    client.start(url, local);
  }

  /** Ship every second that has ended before run time `t`. */
  private flushUpTo(t: number): void {
    const buckets: SecondBucket[] = [];
    while (t >= (this.second + 1) * 1000) buckets.push(this.flushOne());
    if (buckets.length > 0) this.sink.buckets(buckets, this.gauges());
  }

  private flushOne(): SecondBucket {
    let open = 0;
    const backendsOpen: Record<string, number> = {};
    for (const c of this.active.values()) {
      if (c.state !== 'open' && c.state !== 'closing') continue;
      open++;
      const id = c.backend ?? 'unknown';
      backendsOpen[id] = (backendsOpen[id] ?? 0) + 1;
    }
    // The histogram measures the interval between its own timer's runs: the lag is what exceeds the resolution.
    const lagMaxMs = this.lag.count > 0 ? Math.max(0, this.lag.max / 1e6 - TICK_MS) : 0;
    this.lag.reset();
    this.lagSinceGauges = Math.max(this.lagSinceGauges, lagMaxMs);
    // One /proc read per second (a readdir of thousands of entries): gauges() reuses it.
    this.lastFds = Math.max(0, openFds());
    const bucket = this.recorder.flush(this.second, { open, backendsOpen, lagMaxMs, fds: this.lastFds });
    this.second++;
    return bucket;
  }

  private gauges(): WorkerGauges {
    const cpu = process.cpuUsage();
    this.maxRss = Math.max(this.maxRss, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
    const lagMaxMs = this.lagSinceGauges;
    this.lagSinceGauges = 0;
    return {
      pid: process.pid,
      fdLimit: this.fdLimit,
      fds: this.lastFds,
      lagMaxMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssBytes: this.maxRss,
      startRssBytes: this.startRss,
    };
  }

  private finish(reason: WorkerEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.lag.disable();
    // The last, partial second is shipped too: an aborted run loses nothing it measured.
    const t = Math.max(0, this.runMs());
    const buckets: SecondBucket[] = [];
    while (t >= (this.second + 1) * 1000) buckets.push(this.flushOne());
    buckets.push(this.flushOne());
    this.sink.buckets(buckets, this.gauges());
    this.sink.done(reason);
  }
}

/** This worker's open/close events in time order; at the same ms a close goes first, so a slot can reopen. */
function ownEvents(plan: WorkerPlan): SlotEvent[] {
  const intervals = slotIntervals(plan.phases, plan.clients);
  const { lifetimeMs, thinkTimeMs } = plan.behavior;
  const out: SlotEvent[] = [];
  for (let slot = plan.workerId; slot < intervals.length; slot += plan.workerCount) {
    const own = intervals[slot] ?? [];
    for (const iv of lifetimeMs === undefined ? own : withChurn(own, lifetimeMs, thinkTimeMs ?? 0)) {
      out.push({ at: iv.openAt, slot, open: true }, { at: iv.closeAt, slot, open: false });
    }
  }
  return out.sort((a, b) => a.at - b.at || Number(a.open) - Number(b.open) || a.slot - b.slot);
}
