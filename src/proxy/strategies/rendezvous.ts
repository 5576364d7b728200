/**
 * Rendezvous or highest-random-weight hashing (Thaler & Ravishankar 1996): every backend scores the key, the
 * highest eligible score wins. Adding a backend moves exactly the keys it now outscores (1/(N+1) of them); a
 * backend going down moves only its own keys, each to its runner-up. No table or ring to rebuild; O(N) per pick,
 * which is a few hundred hashes of a short key at most here.
 *
 * The score is murmur3 of the key seeded with the hash of the backend id: a keyed hash, so scores for different
 * backends are independent. Weights use the logarithmic method (Schindelhauer & Schomaker, "Weighted Distributed
 * Hash Tables", SPAA 2005): score = -weight / ln(u) with u the hash mapped into (0, 1), which gives
 * each backend exactly a weight/sum(weights) share and still moves only the keys that must move when a weight
 * changes.
 */
import { eligible, sortById } from './common.js';
import { encodeKey, hashString, murmur3 } from './hash.js';
import { HashKeySource } from './request-key.js';
import type { BackendRef, HashKey, PickContext, Strategy } from './types.js';

export interface RendezvousOptions {
  hashKey?: HashKey;
}

export class Rendezvous implements Strategy {
  readonly name = 'rendezvous';
  readonly layers = ['l4', 'l7'] as const;
  private readonly key: HashKeySource;
  private sorted: BackendRef[] = [];
  private seeds: number[] = [];

  constructor(options: RendezvousOptions = {}) {
    this.key = new HashKeySource(options.hashKey);
  }

  setBackends(backends: readonly BackendRef[]): void {
    // Sorted by id so equal scores (possible only at 32 bits) go to the same backend in every worker.
    this.sorted = sortById(backends);
    this.seeds = this.sorted.map((b) => hashString(b.id));
    this.key.setBackends(backends);
  }

  pick(ctx: PickContext): BackendRef | undefined {
    const key = this.key.keyOf(ctx);
    if (key === undefined) return this.key.fallbackPick(ctx);
    const { bytes, length } = encodeKey(key);
    let best: BackendRef | undefined;
    let bestScore = -Infinity;
    for (let i = 0; i < this.sorted.length; i++) {
      const b = this.sorted[i];
      if (!b || !eligible(b, ctx.exclude)) continue;
      const score = weightedScore(murmur3(bytes, this.seeds[i] ?? 0, length), b.weight);
      if (score > bestScore) {
        best = b;
        bestScore = score;
      }
    }
    return best;
  }

  hashCounters(): Record<string, number> | undefined {
    return this.key.counters();
  }
}

/** -weight / ln(u), u = (hash + 0.5) / 2^32 in (0, 1): monotonic in the hash for a fixed weight. */
export function weightedScore(hash: number, weight: number): number {
  return -weight / Math.log((hash + 0.5) / 0x1_0000_0000);
}
