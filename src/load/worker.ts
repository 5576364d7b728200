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
import { SourcePorts } from '../net/source-ports.js';
import { SETTLE_QUIET_MS, SettleGc } from './settle-gc.js';
import { performance, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { WorkerGauges, WorkerPlan } from './protocol.js';
import type { SecondBucket } from '../metrics/types.js';
import type { Behavior } from '../scenario/types.js';
import { Recorder } from '../metrics/recorder.js';
import { TimerWheel } from './wheel.js';
import type { ClientContext } from './ws-client.js';
import { createClient, type DnsContext, type LoadClient } from './client.js';
import { DnsCacheSet } from '../dns/cache.js';
import { queryA } from '../dns/resolver.js';
import { DEFAULT_DNS_CLIENT } from '../scenario/approach.js';
import { plannedDurationMs } from './schedule.js';
import { OwnEvents } from './own-schedule.js';
import { fdLimit, openFds } from '../probes/proc.js';
import { OwnPopulation } from './population.js';
import { SlotReconnects } from './reconnect.js';
import { StallDetector } from './stall-detector.js';
import { DEFAULT_HANDSHAKES_IN_FLIGHT, OpenGate } from './open-gate.js';
import { sendsFromFor } from './send-start.js';
import { warmEchoPath, type WarmUp } from './warm-up.js';
import { warmsUp } from './worker-count.js';
import { buildFlowContext, clientValues } from './flow/setup.js';

const TICK_MS = 10;
/**
 * Issue 17, goal 3 (lean-client branch): the timer wheel turns on its own finer tick. With it on TICK_MS, every send
 * due within 10 ms left in one burst at the tick (1,000 clients × 40 msg/s = 400 writes at once), which queued behind
 * itself at the target and on the way back: round-trip p50 2-3 ms where sends spread over 2 ms ticks read < 1 ms
 * (`npm run bench -- lean --tick 10` vs `--tick 2`). The 10 ms tick keeps the schedule, the flush and the stall check.
 */
const WHEEL_TICK_MS = 2;

/** Pacing of openings per worker (open-gate.ts): 5,000/s (tcpkali opens ~4,900/s on this 2-core box), bursts of 250 (50 ms of the rate: a tick made late by a busy host catches up). */
const OPEN_RATE_PER_S = 5000;
const OPEN_BURST = 250;

/** The parts of a client context that are the same for every client of a worker. */
type CtxParts = Pick<ClientContext, 'insecure' | 'ca' | 'groupOf' | 'flow' | 'rowOf' | 'roleOf' | 'sendsFrom' | 'sourcePorts'>;

export type WorkerEnd = 'finished' | 'aborted' | 'deadline';

export interface WorkerSink {
  buckets(buckets: SecondBucket[], gauges: WorkerGauges): void;
  done(reason: WorkerEnd): void;
}

export class LoadWorker {
  private readonly recorder = new Recorder(() => this.runMs());
  private readonly wheel: TimerWheel;
  private readonly ctx: ClientContext;
  /** What every client context of this worker shares (clientContext). */
  private readonly ctxParts: CtxParts;
  /** The own slots' open/close events in time order (own-schedule.ts). */
  private readonly events: OwnEvents;
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
  /** The wheel's own finer tick (WHEEL_TICK_MS). */
  private wheelTimer: NodeJS.Timeout | undefined;
  private readonly lag: IntervalHistogram;
  /** Timer drift of the tick: every stall ≥ GENERATOR_STALL_MS, and each second's worst lateness. */
  private readonly drift: StallDetector;
  private ended = false;
  private maxRss = 0;
  /** fds open at the last flush. */
  private lastFds = 0;
  /** Worst event-loop delay of the seconds flushed since the last gauges() call, ms. */
  private lagSinceGauges = 0;
  /** Resident memory before the first connection: the baseline for memory per connection. */
  private startRss = process.memoryUsage.rss();
  private readonly fdLimit = fdLimit();
  private readonly dns: DnsContext | undefined;
  /** Backend of each slot's last connection that reached one: what the next is compared with (rehomed counts). */
  private readonly lastBackend = new Map<number, string>();
  /** Each own slot's source address and group, when the scenario has a population. */
  private readonly population: OwnPopulation | undefined;
  private readonly groupNames: string[];
  /** With behavior.reconnect (policy immediate or backoff): reopens slots after unplanned ends. */
  private readonly reconnects: SlotReconnects | undefined;
  /** behavior.handshakes_in_flight: openings beyond the worker's share of the cap wait here. */
  private readonly gate: OpenGate;
  /** Set by stop(): the ends it causes are planned, whatever the schedule says. */
  private stopping = false;
  /** Idle holds: a compacting GC once openings settle (settle-gc.ts). */
  private readonly settle = SettleGc.ofProcess();

  constructor(
    private readonly plan: WorkerPlan,
    private readonly sink: WorkerSink,
  ) {
    const nowPerf = performance.now();
    this.origin = nowPerf + (plan.startAt - Date.now());
    this.plannedMs = plannedDurationMs(plan.phases);
    this.deadlineMs = plan.deadlineAt - plan.startAt;
    this.wheel = new TimerWheel(WHEEL_TICK_MS, 8192, nowPerf);
    const groupOf = plan.population === undefined ? undefined : (slot: number) => this.groupNames[this.population?.groupOf(slot) ?? -1];
    const share = { clients: plan.clients, workerId: plan.workerId, workerCount: plan.workerCount };
    const values = clientValues(plan.behavior, share);
    const rowOf = values.rowOf;
    const sendsFrom = sendsFromFor(plan.behavior, plan.phases, this.origin);
    const flow = buildFlowContext(plan.behavior, { startAt: plan.startAt, ...share, sendsFrom, ...(groupOf === undefined ? {} : { groupOf }), ...(rowOf === undefined ? {} : { rowOf }), ...(values.roleIndexOf === undefined ? {} : { roleIndexOf: values.roleIndexOf }) });
    this.ctxParts = {
      insecure: plan.insecure,
      ...(plan.ca === undefined ? {} : { ca: plan.ca }),
      ...(groupOf === undefined ? {} : { groupOf }),
      ...(flow === undefined ? {} : { flow }),
      ...(rowOf === undefined ? {} : { rowOf }),
      ...(values.roleOf === undefined ? {} : { roleOf: values.roleOf }),
      sendsFrom,
      // behavior.source_ports: named — bound clients get ports the worker names (the kernel's search grows with what is held).
      ...(plan.behavior.sourcePorts === 'named' && (plan.population !== undefined || plan.sourceAddresses.length > 0) ? { sourcePorts: SourcePorts.forWorker(plan.hostWorkerId ?? plan.workerId, plan.hostWorkerCount ?? plan.workerCount) } : {}),
    };
    this.ctx = this.clientContext(plan.behavior, this.recorder, this.wheel, (c) => {
      this.gate.ended(c);
      const current = this.active.get(c.slot) === c;
      if (current) this.active.delete(c.slot);
      this.reconnects?.ended(c, current && !this.stopping);
      this.rehome(c);
      // Which group's clients each backend got: what tells a NAT's weight from the strategy's arithmetic.
      if (this.population !== undefined && c.backend !== undefined) {
        this.recorder.groupBackend(this.groupNames[this.population.groupOf(c.slot)] as string, c.backend);
      }
    });
    this.population = plan.population === undefined ? undefined : new OwnPopulation(plan.population, plan.clients, plan.workerId, plan.workerCount);
    this.groupNames = plan.population?.groups.map((g) => g.name) ?? [];
    const policy = plan.behavior.reconnect;
    this.reconnects = policy === undefined || policy.policy === 'none' ? undefined : new SlotReconnects(policy, {
      recorder: this.recorder,
      wheel: this.wheel,
      runMs: () => this.runMs(),
      reopen: (slot) => this.open(slot, true),
    });
    this.dns = plan.behavior.engine === 'dns' ? this.dnsContext() : undefined;
    const { lifetimeMs, thinkTimeMs } = plan.behavior;
    this.events = new OwnEvents(plan.phases, share, lifetimeMs === undefined ? undefined : { lifetimeMs, thinkTimeMs: thinkTimeMs ?? 0 });
    const cap = Math.ceil((plan.behavior.handshakesInFlight ?? DEFAULT_HANDSHAKES_IN_FLIGHT) / Math.max(1, plan.hostWorkerCount ?? plan.workerCount));
    this.gate = new OpenGate(cap, (slot, isReconnect) => this.launch(slot, isReconnect), OPEN_RATE_PER_S, OPEN_BURST);
    this.lag = monitorEventLoopDelay({ resolution: TICK_MS });
    this.drift = new StallDetector(TICK_MS, this.origin, nowPerf);
  }

  /**
   * A client context. The warm-up's (warm-up.ts) is made here too, by the same literal: objects V8 gives one shape
   * keep the code it optimised on the warm-up's clients valid for the run's (a context spread from the run's had
   * another shape, and the first sends of the run deoptimised the send path again).
   */
  private clientContext(behavior: Behavior, recorder: Recorder, wheel: TimerWheel, onEnd: (c: LoadClient) => void): ClientContext {
    const p = this.ctxParts;
    return {
      behavior,
      recorder,
      wheel,
      insecure: p.insecure,
      ...(p.ca === undefined ? {} : { ca: p.ca }),
      // `{{ group }}` in behavior.headers and behavior.query: the slot's population group.
      ...(p.groupOf === undefined ? {} : { groupOf: p.groupOf }),
      ...(p.flow === undefined ? {} : { flow: p.flow }),
      ...(p.rowOf === undefined ? {} : { rowOf: p.rowOf }),
      ...(p.roleOf === undefined ? {} : { roleOf: p.roleOf }),
      sendsFrom: p.sendsFrom,
      ...(p.sourcePorts === undefined ? {} : { sourcePorts: p.sourcePorts }),
      onEnd,
    };
  }

  /**
   * Before start(), when the clients send on the echo schedule: the send and receive path run hot against a peer of
   * the worker's own (warm-up.ts), done by `untilPerf` (performance.now() time) at the latest. The memory baseline is
   * taken again after it.
   */
  async warmUp(untilPerf: number): Promise<WarmUp | undefined> {
    if (!warmsUp(this.plan.behavior)) return undefined;
    const done = await warmEchoPath((behavior, recorder, wheel, onEnd) => this.clientContext(behavior, recorder, wheel, onEnd), this.plan.behavior, WHEEL_TICK_MS, untilPerf);
    this.startRss = process.memoryUsage.rss();
    return done;
  }

  start(): void {
    // Stopped while it warmed up: finish() has already reported.
    if (this.ended) return;
    this.lag.enable();
    this.drift.arm(performance.now());
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.wheelTimer = setInterval(() => this.wheel.advance(performance.now()), WHEEL_TICK_MS);
  }

  /** Stop now (abort or the coordinator's deadline): established connections end as planned ends. */
  stop(reason: 'aborted' | 'deadline'): void {
    if (this.ended) return;
    this.stopping = true;
    this.reconnects?.stop();
    this.gate.clear();
    for (const c of [...this.active.values()]) c.terminate();
    this.finish(reason);
  }

  private runMs(): number {
    return performance.now() - this.origin;
  }

  private tick(): void {
    const now = performance.now();
    // First, before any flush: a stall that straddles a second's end lands in the second it began in.
    this.drift.beat(now);
    const t = now - this.origin;
    if (t < 0) return;
    this.flushUpTo(t);
    this.gate.tick(now);
    const ev = this.events;
    for (; this.next < ev.length && ev.at(this.next) <= t; this.next++) {
      const slot = ev.slot(this.next);
      if (ev.isOpen(this.next)) {
        this.open(slot, false, ev.until(this.next));
      } else {
        this.reconnects?.closed(slot);
        this.gate.cancel(slot);
        this.active.get(slot)?.close();
      }
    }
    this.reconnects?.poll();
    this.wheel.advance(now);
    this.settleGc(t);
    if (t >= this.deadlineMs) {
      this.stop('deadline');
    } else if (this.next >= this.events.length && this.active.size === 0 && this.gate.waiting === 0 && t >= this.plannedMs) {
      this.finish('finished');
    }
  }

  /** One connection of `slot`: a planned opening (with the interval's end) or a reconnect. */
  private open(slot: number, isReconnect: boolean, until?: number): void {
    // A slot reopening while its previous connection is still closing: that one is ended first (no longer the
    // slot's client, so its end is not taken for an unplanned one).
    const previous = this.active.get(slot);
    if (previous !== undefined) {
      this.active.delete(slot);
      previous.terminate();
    }
    if (until !== undefined) this.reconnects?.opened(slot, until);
    this.gate.request(slot, isReconnect, until, performance.now());
  }

  /**
   * Idle holds, once openings settle: a compacting GC (settle-gc.ts). Its pause is deliberate, with nothing waiting or
   * in flight and nothing of the schedule due within SETTLE_QUIET_MS (so no opening starts late for it: with churn or
   * a slow ramp it waits for the hold): the event-loop histogram restarts after it and the drift check skips it, so it
   * is not taken for a stall; it is reported as a compaction.
   */
  private settleGc(t: number): void {
    if (!this.settle.due || this.gate.waiting > 0 || this.gate.handshaking > 0) return;
    if (this.next < this.events.length && this.events.at(this.next) - t < SETTLE_QUIET_MS) return;
    this.lag.disable();
    this.settle.collectNow(t);
    this.lag.enable();
    this.drift.skip(performance.now());
  }

  /** The opening really starts (the gate let it through): its connect timer starts now. */
  private launch(slot: number, isReconnect: boolean): LoadClient {
    this.settle.noteOpened();
    const client = createClient(this.ctx, slot, this.dns);
    this.active.set(slot, client);
    this.reconnects?.track(client, isReconnect);
    const { urls, sourceAddresses } = this.plan;
    const url = urls[slot % urls.length] as string;
    const local = this.population !== undefined
      ? this.population.addressOf(slot)
      : sourceAddresses.length > 0 ? sourceAddresses[slot % sourceAddresses.length] : undefined;
    client.start(url, local);
    return client;
  }

  /** A connection that reached a backend ends: same backend as its slot's previous one, or moved. */
  private rehome(c: LoadClient): void {
    if (c.backend === undefined || c.backend === 'unknown') return;
    const previous = this.lastBackend.get(c.slot);
    if (previous !== undefined) this.recorder.rehome(previous === c.backend ? 'same' : 'moved');
    this.lastBackend.set(c.slot, c.backend);
  }

  /**
   * One resolver cache per population group, as clients behind one NAT share a resolver: a group's lookups are
   * one query per TTL, so the group lands where that answer points. Queries leave from the group's first address.
   */
  private dnsContext(): DnsContext {
    const o = this.plan.behavior.dns ?? DEFAULT_DNS_CLIENT;
    const server = this.plan.dnsServer ?? parseServer(o.server);
    const groupAddress = new Map<string, string>();
    const groupOf = (slot: number): string => {
      if (this.population === undefined) return 'all';
      const name = this.groupNames[this.population.groupOf(slot)] as string;
      if (!groupAddress.has(name)) groupAddress.set(name, this.population.addressOf(slot));
      return name;
    };
    const caches = new DnsCacheSet({
      mode: o.cache,
      staleMs: o.staleMs,
      query: (name, group) => {
        const localAddress = groupAddress.get(group);
        return queryA(name, { server, timeoutMs: o.timeoutMs, retries: 1, ...(localAddress === undefined ? {} : { localAddress }) });
      },
    });
    return { caches, groupOf };
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
    // The tick's own drift too: the histogram misses a stall that its reset here follows (see stall-detector.ts).
    const lagMaxMs = Math.max(this.lag.count > 0 ? Math.max(0, this.lag.max / 1e6 - TICK_MS) : 0, this.drift.takeWorst());
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
    const rssNow = process.memoryUsage.rss();
    this.maxRss = Math.max(this.maxRss, rssNow, process.resourceUsage().maxRSS * 1024);
    const lagMaxMs = this.lagSinceGauges;
    this.lagSinceGauges = 0;
    return {
      pid: process.pid,
      fdLimit: this.fdLimit,
      fds: this.lastFds,
      lagMaxMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssBytes: this.maxRss,
      rssNowBytes: rssNow,
      startRssBytes: this.startRss,
      stalls: this.drift.takeStalls(),
      openGate: this.gate.snapshot(),
      compactions: this.settle.take(),
    };
  }

  private finish(reason: WorkerEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    if (this.wheelTimer) clearInterval(this.wheelTimer);
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

function parseServer(text: string | undefined): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text ?? '');
  return m ? { host: m[1] as string, port: Number(m[2]) } : { host: '127.0.0.1', port: 53 };
}
