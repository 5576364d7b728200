/**
 * The state the sticky L7 strategies share (stick table on source IP, Engine.IO sid table). With one proxy
 * instance a Map is enough; with several behind DNS or an L4 balancer they must agree, hence Redis — the
 * same split HAProxy makes between a local stick table and `peers` replication.
 */

/** Sticky tables shared by the L7 strategies: table name ('stick' | 'sid' | …) → key → backend id, with expiry. */
export interface StickyStore {
  readonly kind: 'memory' | 'redis';
  /** The value under key, or undefined when absent or expired. */
  get(table: string, key: string): Promise<string | undefined>;
  /** Stores key → value for ttlMs from now (a later set refreshes it). */
  set(table: string, key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes the key (e.g. a sticky entry pointing at a removed backend). */
  delete(table: string, key: string): Promise<void>;
  /** Entries per table as last known, synchronously (the admin endpoint's `tables`); memory: exact; redis: refreshed about once a second. */
  sizes(): Record<string, number>;
  /** Errors talking to the store by code (e.g. ECONNRESET, TIMEOUT) for the admin endpoint. */
  errors(): Record<string, number>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Prepended to every Redis key, so several labs can share one server. Default `wsherd:`. */
  prefix?: string;
  /** Start-up and reconnect budget for connect + AUTH/SELECT + PING, in ms. Default 2000. */
  connectTimeoutMs?: number;
  /** A command not answered within this many ms rejects with code TIMEOUT (and the connection is recycled). Default 1000. */
  commandTimeoutMs?: number;
  /** How often sizes() is refreshed from Redis, in ms. Default 1000. */
  refreshMs?: number;
  /**
   * Tables whose sizes are reported even before this instance touched them (an instance learns a table
   * from its own get/set/delete otherwise), e.g. `['stick', 'sid']`.
   */
  tables?: string[];
}

/**
 * A runtime failure talking to the store, with a short machine-readable code: a socket errno
 * (ECONNRESET, ECONNREFUSED, EPIPE), TIMEOUT, CLOSED (peer closed the connection), UNAVAILABLE (no
 * connection at the moment; the caller should fall back), EPROTO (unparseable reply), or the first word of
 * a Redis error reply (ERR, WRONGTYPE, NOAUTH…). Callers fall back rather than fail the client request.
 */
export class StoreError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}
