/**
 * The proxy's backends and their live state: health (passive failure marking), open and total connections,
 * connect failures. Strategies read these objects through BackendRef; only the proxy writes them.
 */
import type { ProxyStats } from '../lab/types.js';
import type { BackendRef } from './strategies/types.js';

export interface BackendTarget {
  /** Id shown in stats, e.g. `b1` (the reference backends report the same id). */
  id: string;
  host: string;
  port: number;
  /** Relative weight for weighted strategies. Default 1. */
  weight?: number;
}

export class BackendState implements BackendRef {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  healthy = true;
  /** Connections picked for this backend and not yet closed (connecting ones included). */
  active = 0;
  /** Connections that reached this backend. */
  total = 0;
  /** Connect attempts that failed (refused, unreachable, timed out). */
  failures = 0;
  /** While marked down: the time (ms since epoch) it becomes eligible again. */
  downUntil = 0;

  constructor(t: BackendTarget) {
    this.id = t.id;
    this.host = t.host;
    this.port = t.port;
    this.weight = t.weight ?? 1;
  }
}

export class BackendPool {
  readonly backends: readonly BackendState[];
  private readonly byId: Map<string, BackendState>;
  private downCount = 0;

  constructor(targets: readonly BackendTarget[]) {
    this.backends = targets.map((t) => new BackendState(t));
    this.byId = new Map(this.backends.map((b) => [b.id, b]));
  }

  readonly activeConnections = (id: string): number => this.byId.get(id)?.active ?? 0;

  /**
   * Passive failure marking: a failed connect takes the backend out of rotation for `cooldownMs`; it comes
   * back on the first pick after that (no timers: revival is checked lazily in reviveDue).
   */
  markFailed(b: BackendState, now: number, cooldownMs: number): void {
    b.failures++;
    if (b.healthy) {
      b.healthy = false;
      this.downCount++;
    }
    b.downUntil = now + cooldownMs;
  }

  /** Puts backends whose cooldown has passed back into rotation. O(1) while every backend is healthy. */
  reviveDue(now: number): void {
    if (this.downCount === 0) return;
    for (const b of this.backends) {
      if (!b.healthy && now >= b.downUntil) {
        b.healthy = true;
        this.downCount--;
      }
    }
  }

  snapshot(): ProxyStats['backends'] {
    return this.backends.map((b) => ({
      id: b.id,
      host: b.host,
      port: b.port,
      healthy: b.healthy,
      active: b.active,
      total: b.total,
      failures: b.failures,
    }));
  }
}
