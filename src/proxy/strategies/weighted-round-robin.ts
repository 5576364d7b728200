/**
 * Smooth weighted round robin, as nginx's default upstream balancer does it (ngx_http_upstream_get_peer): on each
 * pick every eligible backend's `current` grows by its weight, the largest wins and gives back the round's total.
 * Over a cycle of sum(weights) picks each backend is picked exactly `weight` times, interleaved rather than in
 * bursts: weights 5,1,1 give a a b a c a a, not a a a a a b c. Deterministic, so every proxy worker follows the
 * same sequence.
 */
import { eligible } from './common.js';
import type { BackendRef, PickContext, Strategy } from './types.js';

export class WeightedRoundRobin implements Strategy {
  readonly name = 'weighted-round-robin';
  readonly layers = ['l4', 'l7'] as const;
  private backends: readonly BackendRef[] = [];
  private current: number[] = [];

  setBackends(backends: readonly BackendRef[]): void {
    // nginx starts a new upstream set from zero too; carrying `current` over would skew the first cycle.
    this.backends = backends;
    this.current = backends.map(() => 0);
  }

  pick(ctx: PickContext): BackendRef | undefined {
    let total = 0;
    let best = -1;
    for (let i = 0; i < this.backends.length; i++) {
      const b = this.backends[i];
      // An unhealthy backend sits the round out with its `current` frozen, as a down peer does in nginx.
      if (!b || !eligible(b, ctx.exclude)) continue;
      const cur = (this.current[i] ?? 0) + b.weight;
      this.current[i] = cur;
      total += b.weight;
      // Strictly greater: ties go to the earlier backend, as in nginx.
      if (best < 0 || cur > (this.current[best] ?? 0)) best = i;
    }
    if (best < 0) return undefined;
    this.current[best] = (this.current[best] ?? 0) - total;
    return this.backends[best];
  }
}
