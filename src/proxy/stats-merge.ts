/**
 * One ProxyStats for a proxy made of several worker processes: counters add up, per-backend figures add up by
 * id, health is the most pessimistic worker's view (each worker checks on its own), and process figures are the
 * sum over all processes (fds, limit, RSS) or the worst (event-loop lag), with each worker listed too.
 */
import type { ProxyStats } from '../results/lab-types.js';

type Backend = ProxyStats['backends'][number];

function addCounts(into: Record<string, number>, from: Record<string, number> | undefined): void {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
}

const sum = (list: readonly ProxyStats[], pick: (s: ProxyStats) => number | undefined): number => list.reduce((n, s) => n + (pick(s) ?? 0), 0);

function mergeBackend(a: Backend, b: Backend): Backend {
  const ports = { ...(a.ports ?? {}) };
  addCounts(ports, b.ports);
  const sourceErrors = { ...(a.sourceErrors ?? {}) };
  addCounts(sourceErrors, b.sourceErrors);
  const health = a.health === 'drain' || b.health === 'drain' ? 'drain' : a.health === 'down' || b.health === 'down' ? 'down' : 'up';
  return {
    ...a,
    healthy: a.healthy && b.healthy,
    active: a.active + b.active,
    total: a.total + b.total,
    failures: a.failures + b.failures,
    health,
    checks: {
      passed: (a.checks?.passed ?? 0) + (b.checks?.passed ?? 0),
      failed: (a.checks?.failed ?? 0) + (b.checks?.failed ?? 0),
      lastError: b.checks?.lastError ?? a.checks?.lastError ?? null,
      ...(a.checks?.inconclusive === undefined && b.checks?.inconclusive === undefined ? {} : { inconclusive: (a.checks?.inconclusive ?? 0) + (b.checks?.inconclusive ?? 0) }),
    },
    ports,
    sourceErrors,
  };
}

export interface PrimaryFigures {
  pid: number;
  fds: number;
  fdLimit: number;
  rssBytes: number;
  eventLoopLagMs: number;
  /** Tables the primary holds for its workers (the memory sticky store). */
  tables?: Record<string, number>;
  errors: Record<string, number>;
}

/** Merges the workers' stats (at least one) with the primary's own figures. */
export function mergeStats(workers: readonly ProxyStats[], primary: PrimaryFigures): ProxyStats {
  const first = workers[0];
  if (first === undefined) throw new Error('mergeStats needs at least one worker');
  const errors: Record<string, number> = { ...primary.errors };
  const sticky: Record<string, number> = {};
  const hash: Record<string, number> = {};
  const byId = new Map<string, Backend>();
  for (const w of workers) {
    addCounts(errors, w.errors);
    addCounts(sticky, w.sticky);
    addCounts(hash, w.hash);
    for (const b of w.backends) {
      const seen = byId.get(b.id);
      byId.set(b.id, seen === undefined ? b : mergeBackend(seen, b));
    }
  }
  // Tables: the primary's when it holds them; otherwise every worker sees the same Redis or the same cookie set.
  let tables = primary.tables;
  if (tables === undefined && first.tables !== undefined) {
    tables = {};
    for (const w of workers) for (const [k, v] of Object.entries(w.tables ?? {})) tables[k] = Math.max(tables[k] ?? 0, v);
  } else if (tables !== undefined) {
    for (const [k, v] of Object.entries(first.tables ?? {})) if (!(k in tables)) tables[k] = v;
  }
  return {
    ...first,
    pid: primary.pid,
    connectionsTotal: sum(workers, (s) => s.connectionsTotal),
    connectionsOpen: sum(workers, (s) => s.connectionsOpen),
    acceptsRefused: sum(workers, (s) => s.acceptsRefused),
    maxconnRefused: sum(workers, (s) => s.maxconnRefused),
    ...(first.requestsTotal === undefined ? {} : { requestsTotal: sum(workers, (s) => s.requestsTotal), upgradesTotal: sum(workers, (s) => s.upgradesTotal) }),
    errors,
    ...(first.sticky === undefined ? {} : { sticky }),
    ...(first.hash === undefined ? {} : { hash }),
    ...(tables === undefined ? {} : { tables }),
    backends: [...byId.values()],
    process: {
      fds: primary.fds + sum(workers, (s) => s.process.fds),
      fdLimit: primary.fdLimit + sum(workers, (s) => s.process.fdLimit),
      rssBytes: primary.rssBytes + sum(workers, (s) => s.process.rssBytes),
      eventLoopLagMs: Math.max(primary.eventLoopLagMs, ...workers.map((s) => s.process.eventLoopLagMs)),
    },
    workers: workers.map((w) => ({ pid: w.pid, connectionsOpen: w.connectionsOpen, connectionsTotal: w.connectionsTotal, ...w.process })),
  };
}
