/**
 * Client-side DNS caching, the part of DNS round robin that decides how evenly it balances: a rotated answer
 * only spreads load if clients ask again. Each population group gets its own cache, standing for the shared
 * resolver of a host, office or browser profile. Modes, as real clients behave:
 * - `ttl`: honour the TTL (a well-behaved OS cache), optionally keeping an answer `staleMs` longer (clients
 *   and runtimes that refresh late, or serve stale records past their TTL);
 * - `none`: ask every time (no cache: each client's lookup reaches the server);
 * - `forever`: keep the first answer for the run (runtimes that ignore TTLs, long-lived pinned connections).
 * In `ttl` and `forever`, concurrent misses for one name are coalesced into one query, as a shared cache
 * would: a thundering herd of a group's clients produces one query, and they all get the same (rotated)
 * answer — which is exactly the skew this engine exists to show. Failures are not cached.
 */
import type { DnsAnswer } from './resolver.js';

export type DnsCacheMode = 'ttl' | 'none' | 'forever';

export interface DnsCacheOptions {
  mode: DnsCacheMode;
  /** In `ttl` mode, keep using an answer this long past its TTL, ms (default 0). */
  staleMs?: number;
  /** The query a miss makes (normally resolver.queryA bound to the lab's server). */
  query: (name: string) => Promise<DnsAnswer>;
  /** Milliseconds clock for lookups that do not pass one (default Date.now). */
  now?: () => number;
}

export interface DnsCacheLookup {
  addresses: string[];
  /** Answered from a stored answer without waiting; false for a query, or for joining one in flight. */
  fromCache: boolean;
}

export interface DnsCacheCounts {
  /** Lookups answered from the cache. */
  hits: number;
  /** Lookups that waited for a query (their own or one in flight). */
  misses: number;
  /** Queries sent. */
  queries: number;
  /** Queries that failed. */
  failures: number;
}

interface Entry {
  addresses: string[];
  /** ms on the cache's clock; Infinity for `forever`. */
  usableUntil: number;
}

export class DnsCache implements DnsCacheCounts {
  hits = 0;
  misses = 0;
  queries = 0;
  failures = 0;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<DnsAnswer>>();
  private readonly now: () => number;

  constructor(private readonly opts: DnsCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  lookup(name: string, nowMs: number = this.now()): Promise<DnsCacheLookup> {
    const key = name.toLowerCase();
    const mode = this.opts.mode;
    if (mode !== 'none') {
      const entry = this.entries.get(key);
      if (entry && nowMs < entry.usableUntil) {
        this.hits++;
        return Promise.resolve({ addresses: entry.addresses, fromCache: true });
      }
      if (entry) this.entries.delete(key);
    }
    this.misses++;
    let pending = mode === 'none' ? undefined : this.inflight.get(key);
    if (!pending) {
      pending = this.ask(key, nowMs);
      if (mode !== 'none') this.inflight.set(key, pending);
    }
    return pending.then((a) => ({ addresses: a.addresses, fromCache: false }));
  }

  /** Forget every stored answer (e.g. between phases). */
  clear(): void {
    this.entries.clear();
  }

  counts(): DnsCacheCounts {
    return { hits: this.hits, misses: this.misses, queries: this.queries, failures: this.failures };
  }

  private ask(key: string, startedAt: number): Promise<DnsAnswer> {
    this.queries++;
    return this.opts.query(key).then(
      (answer) => {
        this.inflight.delete(key);
        if (this.opts.mode === 'forever') {
          this.entries.set(key, { addresses: answer.addresses, usableUntil: Infinity });
        } else if (this.opts.mode === 'ttl') {
          // The TTL runs from when the question was asked, as a resolver counts it.
          const usableUntil = startedAt + answer.ttlSeconds * 1000 + (this.opts.staleMs ?? 0);
          if (usableUntil > startedAt) this.entries.set(key, { addresses: answer.addresses, usableUntil });
        }
        return answer;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        this.failures++;
        throw err;
      },
    );
  }
}

export interface DnsCacheSetOptions extends Omit<DnsCacheOptions, 'query'> {
  /** The query a group's miss makes; the group lets it use the group's source address. */
  query: (name: string, group: string) => Promise<DnsAnswer>;
}

/** One DnsCache per population group, created on first use, all with the same options. */
export class DnsCacheSet {
  private readonly caches = new Map<string, DnsCache>();

  constructor(private readonly opts: DnsCacheSetOptions) {}

  get(group: string): DnsCache {
    let cache = this.caches.get(group);
    if (!cache) {
      const query = this.opts.query;
      cache = new DnsCache({ ...this.opts, query: (name) => query(name, group) });
      this.caches.set(group, cache);
    }
    return cache;
  }

  /** Counts per group. */
  counts(): Record<string, DnsCacheCounts> {
    const out: Record<string, DnsCacheCounts> = {};
    for (const [group, cache] of this.caches) out[group] = cache.counts();
    return out;
  }

  /** Counts summed over the groups. */
  totals(): DnsCacheCounts {
    const t: DnsCacheCounts = { hits: 0, misses: 0, queries: 0, failures: 0 };
    for (const c of this.caches.values()) {
      t.hits += c.hits;
      t.misses += c.misses;
      t.queries += c.queries;
      t.failures += c.failures;
    }
    return t;
  }
}
