/**
 * Sticky tables in Redis, so several proxy instances agree on where a source IP or an Engine.IO sid lives.
 * Entries are plain keys with PX expiry; since Redis cannot count keys by pattern cheaply, each table also
 * has a sorted set of its keys scored by expiry, trimmed and counted about once a second for sizes().
 *
 * Failure policy: the proxy must never wait on Redis. When the connection is down, commands reject at once
 * with code UNAVAILABLE (the strategy falls back to its hash), a command unanswered within
 * commandTimeoutMs rejects with TIMEOUT, and the connection is re-established in the background with
 * back-off from 100 ms doubling to 2 s (all of which is RedisLink's, in redis-link.ts).
 */
import { WsherdError } from '../../errors.js';
import { RedisLink, type RedisTarget } from './redis-link.js';
import { RespReplyError, type RespValue } from './resp.js';
import { StoreError, type OpenStoreOptions, type StickyStore } from './types.js';

export type { RedisTarget } from './redis-link.js';

export class RedisStore implements StickyStore {
  readonly kind = 'redis' as const;
  private readonly link: RedisLink;
  private readonly prefix: string;
  private readonly connectTimeoutMs: number;
  private readonly seen = new Set<string>();
  private counts: Record<string, number> = {};
  private readonly errorCounts: Record<string, number> = {};
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  private constructor(target: RedisTarget, opts: OpenStoreOptions) {
    this.prefix = opts.prefix ?? 'wsherd:';
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 2000;
    this.link = new RedisLink(target, {
      connectTimeoutMs: this.connectTimeoutMs,
      commandTimeoutMs: opts.commandTimeoutMs ?? 1000,
      onError: (code) => this.count(code),
    });
    for (const t of opts.tables ?? []) this.seen.add(t);
  }

  /** Connects, authenticates, selects the db and PINGs within connectTimeoutMs, or throws WSH_ERR_INVALID_INPUT. */
  static async open(target: RedisTarget, opts: OpenStoreOptions = {}): Promise<RedisStore> {
    const store = new RedisStore(target, opts);
    try {
      await store.link.connect();
    } catch (err) {
      throw startupError(target, store.connectTimeoutMs, err);
    }
    const every = opts.refreshMs ?? 1000;
    store.refreshTimer = setInterval(() => void store.refreshSizes(), every);
    store.refreshTimer.unref();
    void store.refreshSizes();
    return store;
  }

  get(table: string, key: string): Promise<string | undefined> {
    this.seen.add(table);
    return this.cmd(['GET', this.key(table, key)]).then((v) => (typeof v === 'string' ? v : undefined));
  }

  set(table: string, key: string, value: string, ttlMs: number): Promise<void> {
    this.seen.add(table);
    if (!this.link.connected) return this.link.notConnected();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const a = this.cmd(['SET', this.key(table, key), value, 'PX', String(ttl)]);
    const b = this.cmd(['ZADD', this.index(table), String(Date.now() + ttl), key]);
    return Promise.all([a, b]).then(() => undefined);
  }

  delete(table: string, key: string): Promise<void> {
    this.seen.add(table);
    if (!this.link.connected) return this.link.notConnected();
    const a = this.cmd(['DEL', this.key(table, key)]);
    const b = this.cmd(['ZREM', this.index(table), key]);
    return Promise.all([a, b]).then(() => undefined);
  }

  sizes(): Record<string, number> {
    return { ...this.counts };
  }

  errors(): Record<string, number> {
    return { ...this.errorCounts };
  }

  /** Drops expired members from each known table's index and caches its cardinality (runs about once a second). */
  refreshSizes(): Promise<void> {
    if (this.refreshing !== undefined) return this.refreshing;
    if (!this.link.connected || this.seen.size === 0) return Promise.resolve();
    const tables = [...this.seen];
    const now = String(Date.now());
    const cards = tables.map((t) => {
      void this.cmd(['ZREMRANGEBYSCORE', this.index(t), '-inf', now]).catch(() => undefined);
      return this.cmd(['ZCARD', this.index(t)]);
    });
    this.refreshing = Promise.allSettled(cards).then((rs) => {
      const counts: Record<string, number> = { ...this.counts };
      rs.forEach((r, i) => {
        if (r.status === 'fulfilled' && typeof r.value === 'number') counts[tables[i]!] = r.value;
      });
      this.counts = counts;
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  async close(): Promise<void> {
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.link.close();
  }

  private key(table: string, key: string): string {
    return `${this.prefix}${table}:${key}`;
  }

  private index(table: string): string {
    return `${this.prefix}${table}:_index`;
  }

  private count(code: string): void {
    this.errorCounts[code] = (this.errorCounts[code] ?? 0) + 1;
  }

  private cmd(args: string[]): Promise<RespValue> {
    return this.link.send(args);
  }
}

function startupError(target: RedisTarget, timeoutMs: number, err: unknown): WsherdError {
  const hint = 'Start redis-server there (or fix the URL), or use the in-memory store for a single proxy instance.';
  if (err instanceof RespReplyError) {
    return new WsherdError('WSH_ERR_INVALID_INPUT', `Redis at ${target.display} refused the connection set-up: ${err.message}`, {
      hint: 'Check the password and the database number in the URL (redis://:password@host:port/db).',
      cause: err,
    });
  }
  const code = err instanceof StoreError ? err.code : 'ERROR';
  const message =
    code === 'TIMEOUT'
      ? `Redis at ${target.display} did not answer within ${timeoutMs} ms`
      : `Redis at ${target.display} did not answer: ${code}`;
  return new WsherdError('WSH_ERR_INVALID_INPUT', message, { hint, cause: err });
}
