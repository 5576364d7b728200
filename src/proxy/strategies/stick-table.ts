/**
 * Stick table on the source address (HAProxy `stick-table type ip … expire 30m` + `stick on src`): the first
 * request from an address is placed by the fallback and the pair is learned; later requests from that address go
 * to the same backend while the entry lives, each use refreshing its expiry. The table lives in a StickyStore,
 * in memory or in Redis so several proxies agree.
 */
import type { StickyStore } from '../store/types.js';
import { normalizeAddress } from './key.js';
import { StoreBacked, stickyTarget } from './sticky-common.js';
import type { BackendRef, PickContext, StickyStrategy, Strategy } from './types.js';

export const STICK_TABLE = 'stick';

export class StickTable extends StoreBacked implements StickyStrategy {
  readonly name = 'stick-table';
  readonly layers = ['l7'] as const;
  readonly sticky = true;

  constructor(fallback: Strategy, store: StickyStore, expireSeconds?: number) {
    super(fallback, store, STICK_TABLE, expireSeconds);
  }

  async route(ctx: PickContext): Promise<BackendRef | undefined> {
    const key = normalizeAddress(ctx.remoteAddress);
    const known = await this.lookup(key);
    const b = stickyTarget(this.byId, known, ctx);
    if (b !== undefined) this.count('hits');
    else if (known !== undefined) this.count('stale');
    const chosen = b ?? this.fallback.pick(ctx);
    if (chosen === undefined) return undefined;
    if (b === undefined) this.count('learned');
    // Learned (or refreshed) before the request goes on, so a second proxy asked next sees the same answer.
    await this.remember(key, chosen.id);
    return chosen;
  }
}
