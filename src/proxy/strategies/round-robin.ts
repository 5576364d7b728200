/** Round robin: each new connection goes to the next healthy backend in order (HAProxy `balance roundrobin`). */
import { eligible } from './common.js';
import type { BackendRef, PickContext, Strategy } from './types.js';

export class RoundRobin implements Strategy {
  readonly name = 'round-robin';
  readonly layers = ['l4', 'l7'] as const;
  private backends: readonly BackendRef[] = [];
  private next = 0;

  setBackends(backends: readonly BackendRef[]): void {
    this.backends = backends;
    this.next = this.backends.length === 0 ? 0 : this.next % this.backends.length;
  }

  pick(ctx: PickContext): BackendRef | undefined {
    const n = this.backends.length;
    // Walk at most once around the ring from the cursor; skipped backends do not consume a turn.
    for (let i = 0; i < n; i++) {
      const index = (this.next + i) % n;
      const b = this.backends[index];
      if (b && eligible(b, ctx.exclude)) {
        this.next = (index + 1) % n;
        return b;
      }
    }
    return undefined;
  }
}
