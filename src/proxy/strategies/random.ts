/**
 * Random (HAProxy `balance random`): an eligible backend drawn with probability proportional to its weight.
 * Seedable for reproducible tests and runs; unseeded, each instance draws its own seed, which is fine because
 * random makes no promise that two proxy workers agree.
 */
import { createRng, eligibleList, type Rng } from './common.js';
import type { BackendRef, PickContext, Strategy } from './types.js';

export class RandomPick implements Strategy {
  readonly name = 'random';
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
    return weightedDraw(list, this.rng);
  }
}

/** One backend from a non-empty list with probability weight/sum; undefined for an empty list. */
export function weightedDraw<T extends BackendRef>(list: readonly T[], rng: Rng): T | undefined {
  let total = 0;
  for (const b of list) total += b.weight;
  let r = rng() * total;
  for (const b of list) {
    r -= b.weight;
    if (r < 0) return b;
  }
  // Floating-point leftovers can leave r at exactly 0 after the last subtraction.
  return list[list.length - 1];
}
