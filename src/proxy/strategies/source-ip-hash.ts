/**
 * Source hashing, modulo style (HAProxy `balance source` with the default map-based hash): murmur3 of the client
 * address, modulo the number of eligible backends (sorted by id, so every proxy worker and any listing order agree).
 * Cheap and even, but any change to the eligible set, a backend down or one added, moves about N/(N+1) of the
 * clients: the baseline consistent hashing is measured against.
 */
import { eligibleList, sortById } from './common.js';
import { hashString } from './hash.js';
import { hashKeyOf } from './key.js';
import type { BackendRef, HashKey, PickContext, Strategy } from './types.js';

export class SourceIpHash implements Strategy {
  readonly name: string = 'source-ip-hash';
  readonly layers = ['l4', 'l7'] as const;
  private sorted: BackendRef[] = [];

  constructor(private readonly key: HashKey = 'source-ip') {}

  setBackends(backends: readonly BackendRef[]): void {
    this.sorted = sortById(backends);
  }

  pick(ctx: PickContext): BackendRef | undefined {
    const list = eligibleList(this.sorted, ctx.exclude);
    if (list.length === 0) return undefined;
    return list[hashString(hashKeyOf(ctx.remoteAddress, ctx.remotePort, this.key)) % list.length];
  }
}
