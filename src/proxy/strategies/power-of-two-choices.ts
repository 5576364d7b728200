/**
 * Power of two choices (Mitzenmacher 2001; HAProxy `balance random(2)`, Envoy LEAST_REQUEST): draw two distinct
 * eligible backends uniformly, keep the one with fewer active connections per unit of weight. With n backends and
 * connections held, the busiest backend carries about ln ln n / ln 2 above average instead of random's
 * ln n / ln ln n, without least-connections' full scan or its herd on the one idle backend.
 */
import { createRng, eligibleList, type Rng } from './common.js';
import type { BackendRef, PickContext, Strategy } from './types.js';

export class PowerOfTwoChoices implements Strategy {
  readonly name = 'power-of-two-choices';
  readonly layers = ['l4', 'l7'] as const;
  private backends: readonly BackendRef[] = [];
  private readonly rng: Rng;

  constructor(seed?: number) {
    this.rng = createRng(seed);
  }

  setBackends(backends: readonly BackendRef[]): void {
    this.backends = backends;
  }

  pick(ctx: PickContext): BackendRef | undefined {
    const list = eligibleList(this.backends, ctx.exclude);
    const n = list.length;
    if (n <= 1) return list[0];
    const i = Math.floor(this.rng() * n);
    let j = Math.floor(this.rng() * (n - 1));
    // Draw the second from the other n-1: distinct, and still uniform.
    if (j >= i) j++;
    const a = list[i];
    const b = list[j];
    if (!a || !b) return a ?? b;
    // Ties keep the first draw, which is itself uniform.
    return ctx.activeConnections(b.id) * a.weight < ctx.activeConnections(a.id) * b.weight ? b : a;
  }
}
