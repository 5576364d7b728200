/**
 * Samples the hard limits while a run goes on: each lab component's fds against its limit and its RSS, and the
 * TCP sockets per (source, destination) pair on the lab's ports — what fd exhaustion and ephemeral-port
 * depletion are seen in. Runs on the coordinator's timer; each sample reads a few /proc files synchronously
 * (a few ms even with tens of thousands of sockets), so the interval should stay at a second or so.
 */
import { cpuSeconds, fdLimit, openFds, portRange, rssBytes } from './proc.js';
import { socketsByPair } from './sockets.js';

/** At most this many pairs per point (the busiest): a machine can hold thousands of them. */
export const MAX_PAIRS_PER_POINT = 20;

export interface ProbeComponentPoint {
  /** Open fds; -1 when the process could not be read (it died, or no /proc). */
  fds: number;
  /** Soft RLIMIT_NOFILE; -1 when unknown. */
  fdLimit: number;
  /** Resident set size, bytes; -1 when unknown. */
  rssBytes: number;
  /** CPU time used so far (user + system) by the process and its worker processes, s; -1 when unknown. Absent in older files. */
  cpuSeconds?: number;
}

export interface ProbePair {
  /** See src/probes/sockets.ts: the ephemeral end has no port, the listening end has one. */
  local: string;
  remote: string;
  established: number;
  timeWait: number;
  /** Every other non-listening state (SYN_SENT, FIN_WAIT*, CLOSE_WAIT, …). */
  other: number;
}

export interface ProbePoint {
  /** Seconds since the sampler started (ms precision). */
  t: number;
  components: Record<string, ProbeComponentPoint>;
  /** The busiest pairs on the lab's ports, most sockets first, at most MAX_PAIRS_PER_POINT. */
  pairs: ProbePair[];
}

export interface ProbeSeries {
  intervalMs: number;
  /** net.ipv4.ip_local_port_range when sampling started. */
  portRange: [number, number];
  series: ProbePoint[];
}

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

export function startProbeSampler(opts: ProbeSamplerOptions): ProbeSampler {
  const intervalMs = opts.intervalMs ?? 1000;
  const now = opts.now ?? Date.now;
  const started = now();
  const result: ProbeSeries = { intervalMs, portRange: portRange(), series: [] };
  const sample = (at?: number): void => {
    try {
      result.series.push(samplePoint(opts, at ?? (now() - started) / 1000));
    } catch {
      // A probe must never break a run; a missing point is visible as a gap in t.
    }
  };
  // A point at t=0 exactly (not "a millisecond later"): the idle baseline before the first client.
  sample(0);
  let timer: NodeJS.Timeout | undefined = setInterval(() => sample(), intervalMs);
  timer.unref();
  return {
    stop(origin?: number): ProbeSeries {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (origin === undefined || origin <= started) return result;
      const shift = (origin - started) / 1000;
      const [baseline, ...rest] = result.series;
      const moved = rest.map((p) => ({ ...p, t: Math.round((p.t - shift) * 1000) / 1000 })).filter((p) => p.t > 0);
      return { ...result, series: baseline === undefined ? moved : [baseline, ...moved] };
    },
  };
}

function samplePoint(opts: ProbeSamplerOptions, t: number): ProbePoint {
  const components: Record<string, ProbeComponentPoint> = {};
  for (const c of opts.components) {
    components[c.id] = { fds: openFds(c.pid), fdLimit: fdLimit(c.pid), rssBytes: rssBytes(c.pid), cpuSeconds: cpuSeconds(c.pid) };
  }
  const pairs = socketsByPair({ ports: opts.ports }).pairs.slice(0, MAX_PAIRS_PER_POINT).map((p) => {
    const established = p.states.ESTABLISHED ?? 0;
    const timeWait = p.states.TIME_WAIT ?? 0;
    let total = 0;
    for (const n of Object.values(p.states)) total += n;
    return { local: p.local, remote: p.remote, established, timeWait, other: total - established - timeWait };
  });
  return { t: Math.round(t * 1000) / 1000, components, pairs };
}
