/**
 * Samples the hard limits while a run goes on: each lab component's fds against its limit and its RSS, and the
 * TCP sockets per (source, destination) pair on the lab's ports — what fd exhaustion and ephemeral-port
 * depletion are seen in. Runs on the coordinator's timer. A process's figures are a few small /proc files, read
 * synchronously; the socket table is read without blocking (src/probes/socket-table.ts), and since its cost grows with
 * the sockets (~0.7 s of CPU at 144,000) the next point waits at least BUSY_FACTOR × the last read: on a 2-core box the
 * instrument must not take the CPU the run it watches needs. A point's `t` says when it was taken.
 */
import { cpuSeconds, fdLimit, openFds, portRange, rssBytes } from './proc.js';
import { socketTable } from './socket-table.js';
import type { ProbeComponentPoint, ProbePoint, ProbeSeries } from '../results/observed.js';

/** At most this many pairs per point (the busiest): a machine can hold thousands of them. */
export const MAX_PAIRS_PER_POINT = 20;

/** The socket table is read at most 1 / (1 + BUSY_FACTOR) of the time: ≤ 20% of a core for `ss`, its parse and the kernel. */
export const BUSY_FACTOR = 4;

export interface ProbeSamplerOptions {
  components: Array<{ id: string; pid: number }>;
  /** Only sockets with one of these as local or remote port are counted (the lab's listening ports). */
  ports: number[];
  /** Default 1000. */
  intervalMs?: number;
  /** Clock in ms, injectable for tests; default Date.now. */
  now?: () => number;
}

export interface ProbeSampler {
  /**
   * Stops sampling (idempotent) and returns what was sampled. `origin` (the clock's ms at the load's second 0):
   * times are then counted from it, like the run's series, so a probe and a second of the run line up; the idle
   * baseline stays the first point, at t = 0, and points taken between it and the origin are dropped.
   */
  stop(origin?: number): ProbeSeries;
}

/**
 * Starts sampling; resolves once the first point (the idle baseline, t = 0) is taken, so it is taken before any client.
 * Points are then taken every `intervalMs`, or BUSY_FACTOR × the last socket-table read when that is longer; a read
 * never overlaps the next.
 */
export async function startProbeSampler(opts: ProbeSamplerOptions): Promise<ProbeSampler> {
  const intervalMs = opts.intervalMs ?? 1000;
  const now = opts.now ?? Date.now;
  const started = now();
  const result: ProbeSeries = { intervalMs, portRange: portRange(), series: [] };
  const reads = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const sample = async (at?: number): Promise<number> => {
    const t = at ?? (now() - started) / 1000;
    const began = performance.now();
    try {
      const point = await samplePoint(opts, t, reads.signal);
      // A read cut short by stop() is not a point.
      if (!stopped) {
        result.series.push(point.point);
        result.socketSource ??= point.source;
      }
    } catch {
      // A probe must never break a run; a missing point is visible as a gap in t.
    }
    return performance.now() - began;
  };
  const next = (took: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void sample().then(next), Math.max(intervalMs - took, BUSY_FACTOR * took));
    timer.unref();
  };
  // A point at t=0 exactly (not "a millisecond later"): the idle baseline before the first client.
  next(await sample(0));
  return {
    stop(origin?: number): ProbeSeries {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      reads.abort();
      if (origin === undefined || origin <= started) return result;
      const shift = (origin - started) / 1000;
      const [baseline, ...rest] = result.series;
      const moved = rest.map((p) => ({ ...p, t: Math.round((p.t - shift) * 1000) / 1000 })).filter((p) => p.t > 0);
      return { ...result, series: baseline === undefined ? moved : [baseline, ...moved] };
    },
  };
}

async function samplePoint(opts: ProbeSamplerOptions, t: number, signal: AbortSignal): Promise<{ point: ProbePoint; source: 'netlink' | 'proc' }> {
  // The processes first, then the sockets: both as of the point's t (the table's read starts right after).
  const components: Record<string, ProbeComponentPoint> = {};
  for (const c of opts.components) {
    components[c.id] = { fds: openFds(c.pid), fdLimit: fdLimit(c.pid), rssBytes: rssBytes(c.pid), cpuSeconds: cpuSeconds(c.pid) };
  }
  const table = await socketTable({ ports: opts.ports, signal });
  const pairs = table.pairs.slice(0, MAX_PAIRS_PER_POINT).map((p) => {
    const established = p.states.ESTABLISHED ?? 0;
    const timeWait = p.states.TIME_WAIT ?? 0;
    let total = 0;
    for (const n of Object.values(p.states)) total += n;
    return { local: p.local, remote: p.remote, established, timeWait, other: total - established - timeWait };
  });
  return { point: { t: Math.round(t * 1000) / 1000, components, pairs, socketReadMs: Math.round(table.ms) }, source: table.source };
}
