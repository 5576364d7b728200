/**
 * Consistent hashing on a ring (Karger et al. 1997; HAProxy `hash-type consistent`, ketama): each backend owns
 * `pointsPerBackend × weight` points on a 32-bit ring, a key goes to the owner of the first point at or after its
 * hash. Adding a backend moves only the keys the newcomer's points capture (about 1/(N+1)); a backend going down
 * moves only its own keys, to the next point's owner.
 *
 * Optional bounded load (Mirrokni, Thorup, Zadimoghaddam 2018; HAProxy `hash-balance-factor`): a backend whose
 * active connections already reach its cap is passed over and the walk continues clockwise. The cap is
 * ceil((total + 1) × factor/100 × weight/total_weight) over the eligible backends, `total + 1` counting the
 * connection being placed (as HAProxy does), so the caps add up to at least total + 1 and some backend always has
 * room: the walk cannot come back empty while any backend is eligible.
 *
 * Points are named `<id>-<i>` and hashed with murmur3, so every proxy worker builds the same ring whatever order
 * the backends are listed in.
 */
import { compareIds, eligible } from './common.js';
import { hashString } from './hash.js';
import { DEFAULT_POINTS_PER_BACKEND } from './options.js';
import { HashKeySource } from './request-key.js';
import type { BackendRef, HashKey, PickContext, Strategy } from './types.js';

export interface ConsistentHashOptions {
  pointsPerBackend?: number;
  /** Percent of the average, >= 100; 0 or undefined: unbounded. */
  balanceFactor?: number;
  hashKey?: HashKey;
}

export class ConsistentHash implements Strategy {
  readonly name = 'consistent-hash';
  readonly layers = ['l4', 'l7'] as const;
  private readonly pointsPerBackend: number;
  private readonly balanceFactor: number;
  private readonly key: HashKeySource;
  private backends: readonly BackendRef[] = [];
  /** Ring point hashes, ascending. */
  private points = new Uint32Array(0);
  /** owners[i]: index into `backends` of the backend owning points[i]. */
  private owners = new Uint32Array(0);

  constructor(options: ConsistentHashOptions = {}) {
    this.pointsPerBackend = options.pointsPerBackend ?? DEFAULT_POINTS_PER_BACKEND;
    this.balanceFactor = options.balanceFactor ?? 0;
    this.key = new HashKeySource(options.hashKey);
  }

  setBackends(backends: readonly BackendRef[]): void {
    this.backends = backends;
    this.key.setBackends(backends);
    const ring: { hash: number; owner: number }[] = [];
    backends.forEach((b, owner) => {
      if (!(b.weight > 0)) return;
      const count = Math.max(1, Math.round(this.pointsPerBackend * b.weight));
      for (let i = 0; i < count; i++) ring.push({ hash: hashString(`${b.id}-${i}`), owner });
    });
    // Equal hashes (rare at 32 bits) are ordered by id so the ring does not depend on the listing order.
    ring.sort((x, y) => x.hash - y.hash || compareIds(backends[x.owner]?.id ?? '', backends[y.owner]?.id ?? ''));
    this.points = Uint32Array.from(ring, (p) => p.hash);
    this.owners = Uint32Array.from(ring, (p) => p.owner);
  }

  pick(ctx: PickContext): BackendRef | undefined {
    const size = this.points.length;
    if (size === 0) return undefined;
    const key = this.key.keyOf(ctx);
    if (key === undefined) return this.key.fallbackPick(ctx);
    const fits = this.balanceFactor > 0 ? this.capCheck(ctx) : undefined;
    const start = this.firstPointAtOrAfter(hashString(key));
    for (let step = 0; step < size; step++) {
      const b = this.backends[this.owners[(start + step) % size] ?? 0];
      if (b && eligible(b, ctx.exclude) && (fits === undefined || fits(b))) return b;
    }
    return undefined;
  }

  hashCounters(): Record<string, number> | undefined {
    return this.key.counters();
  }

  /** Binary search: the first point with hash >= h, wrapping to 0 past the last. */
  private firstPointAtOrAfter(h: number): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.points[mid] ?? 0) < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.points.length ? 0 : lo;
  }

  /** The bounded-load test for this pick: may `b` take one more connection? */
  private capCheck(ctx: PickContext): (b: BackendRef) => boolean {
    let total = 0;
    let totalWeight = 0;
    for (const b of this.backends) {
      if (!eligible(b, ctx.exclude)) continue;
      total += ctx.activeConnections(b.id);
      totalWeight += b.weight;
    }
    const factor = this.balanceFactor;
    return (b) => ctx.activeConnections(b.id) < boundedLoadCap(total, factor, b.weight, totalWeight);
  }
}

/**
 * The most connections a backend may hold once this pick is placed: ceil((total + 1) × factor/100 × weight /
 * totalWeight), `total` being the active connections over the eligible backends. Exported for tests.
 */
export function boundedLoadCap(total: number, factor: number, weight: number, totalWeight: number): number {
  // One division of integers (for integer weights): exact whenever the true quotient is a whole number, so ceil
  // never rounds 30.000000000000004 up to 31.
  return Math.ceil(((total + 1) * factor * weight) / (100 * totalWeight));
}
