/**
 * The lab as results.json records it (`lab.components`, `lab.stats`): its components and the stats the backends
 * and the proxy report. Here, below the lab and the proxy that fill them in, so the results vocabulary imports
 * nothing above it (issue 18: a merge of shards re-analyses results without the lab).
 */

/** `redis`: the bus of `lab.backends.bus: redis` (its url and adminUrl are both its redis:// URL). */
export type ComponentKind = 'backend' | 'proxy' | 'dns' | 'orchestrator' | 'redis';

export interface LabComponent {
  /** Stable id, e.g. `b1`, `b2`, `proxy`. Backends identify themselves by this id. */
  id: string;
  kind: ComponentKind;
  pid: number;
  host: string;
  port: number;
  /** ws:// URL of the component's listener. */
  url: string;
  /** HTTP URL of its admin/stats endpoint (JSON). */
  adminUrl: string;
}

/** What a backend reports at `GET <adminUrl>` (also served at /__wsherd/stats on its ws port). */
export interface BackendStats {
  id: string;
  pid: number;
  sessionsTotal: number;
  sessionsOpen: number;
  messagesEchoed: number;
}

/** What the proxy reports at `GET <adminUrl>`. */
export interface ProxyStats {
  pid: number;
  strategy: string;
  mode: string;
  connectionsTotal: number;
  connectionsOpen: number;
  acceptsRefused: number;
  /** Clients closed at once because `maxconn` connections were open. Absent in older stats. */
  maxconnRefused?: number;
  /** L7 mode: HTTP requests and WebSocket upgrades routed. */
  requestsTotal?: number;
  upgradesTotal?: number;
  /** Sticky strategies: entries per table (`cookie`: backends a valid cookie can name; `stick`; `sid`). */
  tables?: Record<string, number>;
  /** Sticky strategies: decisions by kind (hits, placed, learned, inserted, forged, stale, unknown_sid, store_errors). */
  sticky?: Record<string, number>;
  /**
   * Hash strategies keyed on the request (hash_key uri, path, query:NAME, header:NAME): picks that hashed the key
   * (`hashed`) and picks that went round robin because the request lacked it (`fallbacks`).
   */
  hash?: Record<string, number>;
  /** Where the sticky tables live, when the strategy has any: memory or redis. */
  store?: 'memory' | 'redis';
  /** True when the proxy terminates TLS. */
  tls?: boolean;
  errors: Record<string, number>;
  backends: Array<{
    id: string;
    host: string;
    port: number;
    healthy: boolean;
    active: number;
    total: number;
    failures: number;
    /** Current weight (0 while drained). Absent in stats written before health checks existed. */
    weight?: number;
    /** `drain` (admin), `down` (failed checks or connect cooldown) or `up`. */
    health?: 'up' | 'down' | 'drain';
    /** Active checks and passive failures (failed connects) counted so far; lastError is the last failure's code;
     *  inconclusive: checks that could not start for lack of a local port or fd (they never take a backend down). */
    checks?: { passed: number; failed: number; lastError: string | null; inconclusive?: number };
    /** Upstream connections open or connecting per local source address (`default`: kernel-chosen). */
    ports?: Record<string, number>;
    /** Upstream connects that failed on this proxy's side (EADDRNOTAVAIL, EMFILE, ENFILE) per source address. */
    sourceErrors?: Record<string, number>;
  }>;
  /** Summed over all processes when the proxy runs workers (fdLimit: the sum of their limits); lag: the worst. */
  process: { fds: number; fdLimit: number; rssBytes: number; eventLoopLagMs: number };
  /** With --workers N: each worker's own figures. */
  workers?: Array<{ pid: number; connectionsOpen: number; connectionsTotal: number; fds: number; fdLimit: number; rssBytes: number; eventLoopLagMs: number }>;
}

export interface LabStats {
  backends: BackendStats[];
  /** The proxy (the first one with approach dns-proxies). */
  proxy?: ProxyStats;
  /** dns-proxies: every proxy. */
  proxies?: ProxyStats[];
  /** approach dns / dns-proxies: the DNS server's stats (src/dns/server.ts DnsServerStats). */
  dns?: Record<string, unknown>;
  /** approach orchestrator: each instance's stats (src/orchestrator/server.ts OrchestratorStats). */
  orchestrators?: Array<Record<string, unknown>>;
}
