/**
 * The one interface every balancing strategy implements (one file each under this folder). The proxy owns
 * backend state (health, connection counts) and asks the strategy for a pick per new connection (L4) or per
 * request (L7). Strategies keep only their own state (a cursor, a hash ring, a Maglev table, a sticky table)
 * and rebuild it in setBackends(), so per-pick work stays O(1) or O(log n).
 */

export type Layer = 'l4' | 'l7';

/**
 * What a hash strategy keys on: the source address alone, or address and port (one key per connection); in mode
 * l7 also the request: `uri` (path and query), `path`, `query:NAME` (a query parameter), `header:NAME`.
 */
export type HashKey = 'source-ip' | 'source-ip-port' | 'uri' | 'path' | `query:${string}` | `header:${string}`;

/** A backend as a strategy sees it. The proxy flips `healthy`; strategies must skip unhealthy backends. */
export interface BackendRef {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Relative weight for weighted strategies; 1 when not given. */
  readonly weight: number;
  /** False while the backend is marked down (passive failure marking now, health checks later). */
  readonly healthy: boolean;
}

/** Fields of an HTTP request an L7 strategy may read (cookie, query sid, path). */
export interface PickRequest {
  method: string;
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface PickContext {
  /** The client's address and port as the proxy sees them (the key of source hashing). */
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** Open connections (including ones being connected) the proxy has to this backend, for least-conn. */
  activeConnections(backendId: string): number;
  /** Backends to leave out of this pick, e.g. the one whose connect just failed (retry elsewhere). */
  exclude?: ReadonlySet<string>;
  /** L7 only: the request being routed. */
  request?: PickRequest;
}

/** The head of a backend's answer to a request an L7 strategy routed. */
export interface ResponseInfo {
  statusCode: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * A strategy that routes by what it remembers (a cookie it issued, a learned table entry). It only runs in the
 * L7 proxy, which calls route() instead of pick(): a lookup may wait on a shared store (Redis), and the proxy
 * hands it the backend's response so it can set a cookie or learn a session id before the client sees it.
 */
export interface StickyStrategy extends Strategy {
  readonly sticky: true;
  route(ctx: PickContext): Promise<BackendRef | undefined>;
  /** Headers to add to the response (e.g. Set-Cookie), or undefined. */
  onResponse?(ctx: PickContext, backend: BackendRef, res: ResponseInfo): Record<string, string> | undefined;
  /** True when the proxy should hold this response's body (up to 64 KiB) and pass it to learn() first. */
  wantsBody?(ctx: PickContext, res: ResponseInfo): boolean;
  /** Learns from a held response body; the proxy forwards the response once this settles. */
  learn?(ctx: PickContext, backend: BackendRef, body: string): Promise<void>;
  /** Entries per table (cookie, stick, sid) for the admin endpoint. */
  tableSizes(): Record<string, number>;
  /** Decisions counted by kind (hits, learned, forged, stale, unknown…) for the admin endpoint. */
  counters(): Record<string, number>;
}

export function isSticky(s: Strategy): s is StickyStrategy {
  return (s as Partial<StickyStrategy>).sticky === true;
}

export interface Strategy {
  /** The name a scenario or `--strategy` selects it by, e.g. `round-robin`. */
  readonly name: string;
  /** Layers it can work at: an L4 strategy sees only addresses; an L7 one may read the request. */
  readonly layers: ReadonlyArray<Layer>;
  /**
   * Replaces the backend set (start-up, scale-out/in). The proxy keeps the same objects across calls to
   * setBackends when only health changes, so a strategy may hold references to them.
   */
  setBackends(backends: readonly BackendRef[]): void;
  /** The backend for a new connection/request, or undefined when no healthy, non-excluded backend remains. */
  pick(ctx: PickContext): BackendRef | undefined;
  /**
   * Hash strategies keyed on the request (`hashKey` uri, path, query:NAME, header:NAME): picks by kind, `hashed`
   * and `fallbacks` (the request lacked the key and went round robin). Undefined for every other strategy.
   */
  hashCounters?(): Record<string, number> | undefined;
}

/**
 * Tuning for createStrategy. Each strategy accepts only the options its STRATEGIES entry lists; the rest must be
 * left undefined. Weights are not here: they come from BackendRef.weight.
 */
export interface StrategyOptions {
  /**
   * consistent-hash: ring points (virtual nodes) per unit of backend weight, integer 1..10000. Default 160, the
   * ketama/libmemcached figure: a backend's share then deviates from its fair share by about 1/sqrt(160) ≈ 8%
   * (one standard deviation), and 256 backends make a 40,960-point ring, searched in ~16 steps.
   */
  pointsPerBackend?: number;
  /**
   * consistent-hash: bounded load, in percent of the average (HAProxy `hash-balance-factor`): a backend takes a new
   * connection only while its active connections stay within ceil((total + 1) × factor / 100 × weight share);
   * otherwise the ring walk moves on. Integer >= 100 (100 = perfectly even, 125 = up to 25% above average);
   * 0 or undefined turns it off (default).
   */
  balanceFactor?: number;
  /**
   * maglev: lookup table size, a prime (the permutation fill needs every skip to be coprime with it), at most
   * 10,000,000. Default 65537. Raised to the next prime >= 100 × backends when too small for the backend count
   * (the paper's bound for a near-even spread).
   */
  tableSize?: number;
  /** random, power-of-two-choices: PRNG seed (integer, taken mod 2^32) for reproducible picks. Default: from the OS. */
  seed?: number;
  /**
   * consistent-hash, maglev, rendezvous: what to hash. `source-ip` (default) keeps a client on one backend across
   * reconnects; `source-ip-port` spreads one address's connections (a NAT'd office) but gives up that stickiness.
   * Mode l7 only: `uri`, `path`, `query:NAME`, `header:NAME` hash the request (HAProxy `balance uri whole`, `uri`,
   * `url_param`, `hdr()`); a request without the parameter or header goes round robin, as in HAProxy.
   */
  hashKey?: HashKey;
  /**
   * cookie, stick-table, engineio-sid: the strategy that places a client the first time (and again when its
   * sticky backend is gone). Any L4-capable name; default round-robin (HAProxy uses its `balance` the same way).
   */
  fallback?: string;
  /** cookie: the cookie's name. Default WSHERDID. */
  cookieName?: string;
  /**
   * cookie: the HMAC key that signs cookie values, so a client cannot pick its backend. Proxies (or workers) that
   * must accept each other's cookies need the same secret. Default: random per proxy.
   */
  cookieSecret?: string;
  /** stick-table, engineio-sid: seconds an entry lives after its last use. Default 1800 (HAProxy `expire 30m`). */
  expireSeconds?: number;
}
