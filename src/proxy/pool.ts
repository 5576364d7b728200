/**
 * The proxy's backends and their live state: health (active check verdict, passive cooldown, drain), open and
 * total connections, connect failures, and the run-time changes the admin API makes (add, remove, drain,
 * weight). Strategies read these objects through BackendRef; only the proxy writes them.
 */
import type { ProxyStats } from '../results/lab-types.js';
import type { BackendRef } from './strategies/types.js';

export interface BackendTarget {
  /** Id shown in stats, e.g. `b1` (the reference backends report the same id). */
  id: string;
  host: string;
  port: number;
  /** Relative weight for weighted strategies; 0 starts the backend drained. Default 1. */
  weight?: number;
}

export type HealthState = 'up' | 'down' | 'drain';

export class BackendState implements BackendRef {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** 0 while drained: every strategy skips weight 0 (see strategies/common.ts eligible). */
  weight: number;
  /** What strategies read: the check verdict is up and no connect cooldown is running. */
  healthy = true;
  /** Connections picked for this backend and not yet closed (connecting ones included). */
  active = 0;
  /** Connections that reached this backend. */
  total = 0;
  /** Connect attempts that failed (refused, unreachable, timed out). */
  failures = 0;
  /** While in a connect cooldown: the time (ms since epoch) it becomes eligible again. */
  downUntil = 0;
  cooling = false;
  /** The active checks' verdict (rise/fall); stays true when checks are off. */
  checkUp = true;
  /** Consecutive passes and failures, compared with rise and fall. */
  streakOk = 0;
  streakFail = 0;
  checksPassed = 0;
  checksFailed = 0;
  /** Checks that could not start for lack of a local port or fd: neither pass nor fail (health.ts). */
  checksInconclusive = 0;
  /** Code of the last failed check, e.g. ECONNREFUSED, ETIMEDOUT, HTTP_503. */
  lastError: string | null = null;
  /** Set by drain: the weight undrain restores. */
  drainedWeight: number | undefined;
  /** Upstream connections (connecting ones included) per source address; key `default` when unbound. */
  readonly ports = new Map<string, number>();
  /** Connects that failed for lack of a local port or fd (EADDRNOTAVAIL, EMFILE…) per source address. */
  readonly sourceErrors = new Map<string, number>();

  constructor(t: BackendTarget) {
    this.id = t.id;
    this.host = t.host;
    this.port = t.port;
    this.weight = t.weight ?? 1;
  }

  get health(): HealthState {
    if (this.drainedWeight !== undefined || this.weight <= 0) return 'drain';
    return this.healthy ? 'up' : 'down';
  }
}

export class BackendPool {
  private list: BackendState[];
  private readonly byId: Map<string, BackendState>;
  private coolingCount = 0;
  /** Called after the set or a weight changed, so the strategy can rebuild (setBackends). */
  onChange: (() => void) | undefined;

  constructor(targets: readonly BackendTarget[]) {
    this.list = targets.map((t) => new BackendState(t));
    this.byId = new Map(this.list.map((b) => [b.id, b]));
  }

  /** The current set. A new array after add/remove, so a strategy holding the old one is not mutated under it. */
  get backends(): readonly BackendState[] {
    return this.list;
  }

  get(id: string): BackendState | undefined {
    return this.byId.get(id);
  }

  readonly activeConnections = (id: string): number => this.byId.get(id)?.active ?? 0;

  /**
   * Passive failure marking: a failed connect takes the backend out of rotation for `cooldownMs`; it comes
   * back on the first pick after that (no timers: revival is checked lazily in reviveDue), unless the active
   * checks have meanwhile found it down.
   */
  markFailed(b: BackendState, now: number, cooldownMs: number): void {
    b.failures++;
    if (!b.cooling && this.byId.get(b.id) === b) {
      b.cooling = true;
      this.coolingCount++;
    }
    b.downUntil = now + cooldownMs;
    this.refresh(b);
  }

  /** Ends cooldowns that have passed. O(1) while no backend is cooling down. */
  reviveDue(now: number): void {
    if (this.coolingCount === 0) return;
    for (const b of this.list) {
      if (b.cooling && now >= b.downUntil) {
        b.cooling = false;
        this.coolingCount--;
        this.refresh(b);
      }
    }
  }

  /** Recomputes `healthy` after the check verdict or the cooldown changed. */
  refresh(b: BackendState): void {
    b.healthy = b.checkUp && !b.cooling;
  }

  /** Adds a backend; undefined when the id is taken. */
  add(t: BackendTarget): BackendState | undefined {
    if (this.byId.has(t.id)) return undefined;
    const b = new BackendState(t);
    this.list = [...this.list, b];
    this.byId.set(b.id, b);
    this.onChange?.();
    return b;
  }

  /**
   * Takes a backend out of the set: no new connections; connections already relayed to it stay until they end
   * (HAProxy removes a server only once it is drained; we do not wait, but we do not cut either).
   */
  remove(id: string): BackendState | undefined {
    const b = this.byId.get(id);
    if (!b) return undefined;
    this.list = this.list.filter((x) => x !== b);
    this.byId.delete(id);
    if (b.cooling) {
      b.cooling = false;
      this.coolingCount--;
    }
    this.onChange?.();
    return b;
  }

  /** Weight to 0 (no new connections, existing ones stay); undrain restores the weight it had. */
  drain(b: BackendState): void {
    if (b.drainedWeight !== undefined) return;
    b.drainedWeight = b.weight;
    b.weight = 0;
    this.onChange?.();
  }

  undrain(b: BackendState): void {
    if (b.drainedWeight === undefined) return;
    b.weight = b.drainedWeight;
    b.drainedWeight = undefined;
    this.onChange?.();
  }

  /** While drained the new weight is kept for undrain, so a drain is only ever ended explicitly. */
  setWeight(b: BackendState, weight: number): void {
    if (b.drainedWeight !== undefined) b.drainedWeight = weight;
    else b.weight = weight;
    this.onChange?.();
  }

  snapshot(): ProxyStats['backends'] {
    return this.list.map((b) => describe(b));
  }
}

export function describe(b: BackendState): ProxyStats['backends'][number] {
  return {
    id: b.id,
    host: b.host,
    port: b.port,
    healthy: b.healthy,
    active: b.active,
    total: b.total,
    failures: b.failures,
    weight: b.weight,
    health: b.health,
    checks: { passed: b.checksPassed, failed: b.checksFailed, lastError: b.lastError, ...(b.checksInconclusive > 0 ? { inconclusive: b.checksInconclusive } : {}) },
    ports: Object.fromEntries(b.ports),
    sourceErrors: Object.fromEntries(b.sourceErrors),
  };
}
