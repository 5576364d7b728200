/**
 * How many load-generator processes a run needs, by what it needs (issue 17): each worker costs ~40–50 MB of base
 * RSS, so a run gets a second worker only when one cannot carry it.
 *
 * - fds: each established client holds one fd in its worker; a worker keeps 20% of its limit (and 200 more) free
 *   for the runtime, /proc reads and sockets that are still closing, so it never meets its own EMFILE — a generator
 *   limit would otherwise pass for a target failure. ceil(clients / clientsPerWorker) workers at least.
 * - CPU: more than one worker per core is never useful; more than one worker at all only when the load needs more
 *   than one core: the echo load (clients × messages_per_second) beyond MSGS_PER_WORKER, or the opening rate (the
 *   steepest ramp, or the churn of behavior.lifetime) beyond OPENS_PER_WORKER. The session engines (socketio,
 *   engineio) run a library per client and are CPU-bound at any size: one worker per core, as before.
 *
 * A 10k idle hold ramped over seconds is one worker (measured: docs/measurement.md, "How many workers").
 */
import type { Behavior, PhaseSegment } from '../scenario/types.js';

/** Echo messages a second one worker sends and times without its event loop falling behind (about half of what one
 *  worker peaks at on this 2-core box: 73k echoes/s with two). */
export const MSGS_PER_WORKER = 20_000;
/** Openings a second one worker starts and completes without falling behind. */
export const OPENS_PER_WORKER = 2_500;

export function clientsPerWorker(fdLimit: number): number {
  return Math.max(1, Math.floor(fdLimit * 0.8) - 200);
}

/** What the default worker count looks at. */
export interface LoadNeed {
  clients: number;
  phases: readonly PhaseSegment[];
  behavior: Pick<Behavior, 'engine' | 'messagesPerSecond' | 'lifetimeMs' | 'flow' | 'roles' | 'script'>;
}

/** The steepest opening rate the plan asks for, per second (a jump counts as all its openings within one second). */
export function peakOpenRate(need: LoadNeed): number {
  let peak = 0;
  let level = 0;
  for (const p of need.phases) {
    const to = Math.min(need.clients, Math.max(0, Math.round(p.to)));
    if (to > level) peak = Math.max(peak, ((to - level) * 1000) / Math.max(1000, p.durationMs));
    level = to;
  }
  const life = need.behavior.lifetimeMs;
  if (life !== undefined && life > 0) peak = Math.max(peak, (need.clients * 1000) / life);
  return peak;
}

export function defaultWorkerCount(clients: number, fdLimit: number, cores: number, need?: LoadNeed): number {
  const limit = fdLimit > 0 ? fdLimit : 1024;
  const forFds = Math.ceil(clients / clientsPerWorker(limit));
  const b = need?.behavior;
  // Without a plan to look at, or with a CPU-bound engine: one per core, as before issue 17.
  if (need === undefined || b === undefined || b.engine === 'socketio' || b.engine === 'engineio') return Math.max(1, cores, forFds);
  const flows = b.flow !== undefined || b.roles !== undefined || b.script !== undefined;
  const msgs = flows ? 0 : clients * b.messagesPerSecond;
  const forCpu = Math.max(Math.ceil(msgs / MSGS_PER_WORKER), Math.ceil(peakOpenRate(need) / OPENS_PER_WORKER), flows && clients > 1000 ? cores : 1);
  return Math.max(1, forFds, Math.min(Math.max(1, cores), forCpu));
}

/**
 * V8 flags for the workers. A 1 MB semi-space (young generation) cut a worker's RSS holding 3,000 idle connections
 * from 122 to 99–108 MB (17.5 → 9.9–13.5 kB per connection, two rounds each) with CPU per 1k messages at 40 msg/s ×
 * 1,000 within the noise (0.042–0.046 s either way); the reference proxy runs with it too. A small young generation
 * means more scavenges at high message rates, so it is given only where memory is the point: echo loads up to
 * MSGS_PER_WORKER a worker, no flows (whose rate the plan does not say).
 */
export function workerExecArgv(need: LoadNeed, workers: number): string[] {
  const b = need.behavior;
  if (b.flow !== undefined || b.roles !== undefined || b.script !== undefined) return [];
  // Idle holds (no messages at all) also compact once their openings settle (settle-gc.ts): the flags make the GC
  // callable and compacting. Not where messages are timed: a full GC that compacts pauses longer.
  if (b.messagesPerSecond === 0) return ['--max-semi-space-size=1', '--expose-gc', '--compact-on-every-full-gc'];
  return (need.clients * b.messagesPerSecond) / Math.max(1, workers) <= MSGS_PER_WORKER ? ['--max-semi-space-size=1'] : [];
}

/** How much later the coordinator starts second 0 when the workers warm up (warm-up.ts). */
export const WARM_UP_MS = 1000;

/** Whether a run's workers warm up (warm-up.ts): the ws engine's echo schedule (flows, session engines and idle holds do not). */
export function warmsUp(b: Pick<Behavior, 'engine' | 'messagesPerSecond' | 'flow' | 'roles' | 'script'>): boolean {
  return (b.engine ?? 'ws') === 'ws' && b.messagesPerSecond > 0 && b.flow === undefined && b.roles === undefined && b.script === undefined;
}
