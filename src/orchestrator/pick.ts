/**
 * How the orchestrator chooses a backend (and its fallbacks) for a client. The balancer's strategies
 * (src/proxy/strategies) pick per connection from a PickContext; here the "connection" is an endpoint request, the
 * hash key is the client id instead of a source address, and the load is what backends report plus what was handed
 * out since. Reusing ConsistentHash and PowerOfTwoChoices keeps the orchestrator and the proxy comparable: the same
 * ring gives the same remapping when a backend joins.
 *
 * Fallbacks are further picks with the earlier choices excluded, so they follow the strategy's own order: the next
 * distinct owners clockwise on the ring, the next least-loaded, or further two-choice draws.
 */
import { ConsistentHash } from '../proxy/strategies/consistent-hash.js';
import { PowerOfTwoChoices } from '../proxy/strategies/power-of-two-choices.js';
import { compareIds } from '../proxy/strategies/common.js';
import type { BackendRef, PickContext, Strategy } from '../proxy/strategies/types.js';
import type { RegisteredBackend } from './registry.js';

export type OrchestratorStrategy = 'least-loaded' | 'consistent-hash' | 'power-of-two-choices';
export const ORCHESTRATOR_STRATEGIES: readonly OrchestratorStrategy[] = ['least-loaded', 'consistent-hash', 'power-of-two-choices'];

/** A registered backend and whether it may be handed out right now (up, not drained, passing checks). */
export interface Candidate {
  backend: RegisteredBackend;
  eligible: boolean;
}

/** The load a strategy compares: what the backend reported plus the endpoints handed out since. */
export function effectiveLoad(b: RegisteredBackend): number {
  return b.load + b.handedOut;
}

interface Ref extends BackendRef {
  healthy: boolean;
}

export class Picker {
  private readonly strategy: Strategy | undefined;
  /** The membership (ids and weights) the strategy's ring was built for; rebuilt only when it changes. */
  private signature = '';
  private refs = new Map<string, Ref>();

  constructor(
    readonly name: OrchestratorStrategy,
    seed?: number,
  ) {
    if (name === 'consistent-hash') this.strategy = new ConsistentHash({ hashKey: 'source-ip' });
    else if (name === 'power-of-two-choices') this.strategy = new PowerOfTwoChoices(seed);
  }

  /**
   * Up to `count` distinct eligible backends for `clientId`, best first (the first is the answer, the rest its
   * fallbacks); empty when none is eligible. The ring covers every registered backend, eligible or not, so a
   * backend going down moves only its own clients.
   */
  choose(candidates: readonly Candidate[], clientId: string, count: number): RegisteredBackend[] {
    if (this.strategy === undefined) return leastLoaded(candidates, count);
    const byId = new Map(candidates.map((c) => [c.backend.id, c.backend]));
    this.sync(candidates);
    const exclude = new Set<string>();
    const ctx: PickContext = {
      // ConsistentHash hashes the "address"; the client id takes its place (normalizeAddress only lowercases it).
      remoteAddress: clientId,
      remotePort: undefined,
      activeConnections: (id) => {
        const b = byId.get(id);
        return b === undefined ? 0 : effectiveLoad(b);
      },
      exclude,
    };
    const out: RegisteredBackend[] = [];
    while (out.length < count) {
      const ref = this.strategy.pick(ctx);
      const b = ref === undefined ? undefined : byId.get(ref.id);
      if (b === undefined) break;
      out.push(b);
      exclude.add(b.id);
    }
    return out;
  }

  private sync(candidates: readonly Candidate[]): void {
    const sorted = [...candidates].sort((a, b) => compareIds(a.backend.id, b.backend.id));
    const signature = sorted.map((c) => `${c.backend.id}\u0000${c.backend.weight}`).join('\u0001');
    if (signature !== this.signature) {
      this.signature = signature;
      this.refs = new Map(sorted.map((c) => [c.backend.id, { id: c.backend.id, host: '', port: 0, weight: c.backend.weight, healthy: c.eligible }]));
      this.strategy?.setBackends([...this.refs.values()]);
      return;
    }
    // Same membership: the strategy holds these objects, so flipping `healthy` in place is enough.
    for (const c of candidates) {
      const ref = this.refs.get(c.backend.id);
      if (ref !== undefined) ref.healthy = c.eligible;
    }
  }
}

/** Lowest (load + handedOut) / weight first; ties by id so the answer is deterministic. */
function leastLoaded(candidates: readonly Candidate[], count: number): RegisteredBackend[] {
  return candidates
    .filter((c) => c.eligible && c.backend.weight > 0)
    .map((c) => c.backend)
    .sort((a, b) => effectiveLoad(a) / a.weight - effectiveLoad(b) / b.weight || compareIds(a.id, b.id))
    .slice(0, count);
}
