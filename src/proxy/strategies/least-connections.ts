/**
 * Least connections (HAProxy `balance leastconn`, nginx `least_conn`): the eligible backend with the fewest active
 * connections per unit of weight. Ties go round robin from a cursor, so an idle pool fills evenly instead of
 * piling onto the first backend. O(n) per pick; n is at most a few hundred here.
 */
import { eligible } from './common.js';
import type { BackendRef, PickContext, Strategy } from './types.js';

export class LeastConnections implements Strategy {
  readonly name = 'least-connections';
  readonly layers = ['l4', 'l7'] as const;
  private backends: readonly BackendRef[] = [];
  private next = 0;

  setBackends(backends: readonly BackendRef[]): void {
    this.backends = backends;
    this.next = backends.length === 0 ? 0 : this.next % backends.length;
  }

  pick(ctx: PickContext): BackendRef | undefined {
    const n = this.backends.length;
    let best: BackendRef | undefined;
    let bestIndex = -1;
    let bestActive = 0;
    for (let i = 0; i < n; i++) {
      const index = (this.next + i) % n;
      const b = this.backends[index];
      if (!b || !eligible(b, ctx.exclude)) continue;
      const active = ctx.activeConnections(b.id);
      // active/weight < bestActive/bestWeight, cross-multiplied: exact for integer counts and weights.
      if (!best || active * best.weight < bestActive * b.weight) {
        best = b;
        bestIndex = index;
        bestActive = active;
      }
    }
    if (best) this.next = (bestIndex + 1) % n;
    return best;
  }
}
