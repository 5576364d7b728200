/**
 * What the sticky L7 strategies (cookie, stick-table, engineio-sid) share: the fallback strategy that places a
 * client the first time, and the rule for honouring a remembered backend.
 */
import type { StickyStore } from '../store/types.js';
import type { BackendRef, PickContext, Strategy } from './types.js';

/** Seconds a learned entry lives after its last use: HAProxy's usual `expire 30m`. */
export const DEFAULT_EXPIRE_SECONDS = 1800;

/**
 * May a remembered backend still take this client? It must still be in the set and healthy. A drained backend
 * (weight 0) still takes its sticky clients: drain means "no new sessions, existing ones stay" (HAProxy keeps
 * persistence to a server in drain state), and a long-polling session is an existing one.
 */
export function stickyTarget(byId: ReadonlyMap<string, BackendRef>, id: string | undefined, ctx: PickContext): BackendRef | undefined {
  if (id === undefined) return undefined;
  const b = byId.get(id);
  if (b === undefined || !b.healthy || ctx.exclude?.has(b.id)) return undefined;
  return b;
}

/** Counters as a plain object, for stats. */
export function countersOf(map: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries(map);
}

/** Holds the backend set and the fallback, so each sticky strategy keeps only its own memory. */
export class StickyBase {
  protected byId = new Map<string, BackendRef>();
  protected readonly counts = new Map<string, number>();

  constructor(protected readonly fallback: Strategy) {}

  setBackends(backends: readonly BackendRef[]): void {
    this.byId = new Map(backends.map((b) => [b.id, b]));
    this.fallback.setBackends(backends);
  }

  /** The fallback's pick: L4 callers (none, since sticky strategies are L7-only) and first placements. */
  pick(ctx: PickContext): BackendRef | undefined {
    return this.fallback.pick(ctx);
  }

  counters(): Record<string, number> {
    return countersOf(this.counts);
  }

  protected count(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }
}

/** A sticky strategy whose memory is a StickyStore table (stick-table, engineio-sid), entries living `expireSeconds`. */
export class StoreBacked extends StickyBase {
  protected readonly ttlMs: number;

  constructor(
    fallback: Strategy,
    protected readonly store: StickyStore,
    protected readonly table: string,
    expireSeconds = DEFAULT_EXPIRE_SECONDS,
  ) {
    super(fallback);
    this.ttlMs = expireSeconds * 1000;
  }

  tableSizes(): Record<string, number> {
    return { [this.table]: this.store.sizes()[this.table] ?? 0 };
  }

  /** The backend id stored under key; undefined when absent, or when the store fails (counted: routing goes on). */
  protected async lookup(key: string): Promise<string | undefined> {
    try {
      return await this.store.get(this.table, key);
    } catch {
      this.count('store_errors');
      return undefined;
    }
  }

  /** Stores (or refreshes) key → id; a store failure is counted, never thrown. */
  protected remember(key: string, id: string): Promise<void> {
    return this.store.set(this.table, key, id, this.ttlMs).catch(() => this.count('store_errors'));
  }
}
