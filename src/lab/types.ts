/** The running reference lab, as the rest of wsherd sees it. */

/** `redis`: the bus of `lab.backends.bus: redis` (its url and adminUrl are both its redis:// URL). */
export type ComponentKind = 'backend' | 'proxy' | 'dns' | 'orchestrator' | 'redis';

/** What a fault did to the lab (src/lab/faults.ts). */
export interface FaultOutcome {
  action: 'kill' | 'stop' | 'drain' | 'add';
  backend: string;
  detail: string;
}

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

export interface Lab {
  components: LabComponent[];
  /** Where clients connect: the proxy's URL (wss:// when the proxy terminates TLS), the DNS name's ws:// URL, or the orchestrator's http:// URL. */
  entryUrl: string;
  /** Every entry point; client slot s uses entryUrls[s % length] (several orchestrator instances). */
  entryUrls: string[];
  /** approach dns / dns-proxies: where the dns engine sends its queries. */
  dnsServer?: { host: string; port: number };
  /** Kill, stop, drain or add a backend through whatever the approach routes with. */
  fault(action: FaultOutcome['action'], backend?: string): Promise<FaultOutcome>;
  /** With TLS: the proxy's certificate (PEM), for clients to trust. */
  ca?: string;
  stats(): Promise<LabStats>;
  /** Stops every component (SIGTERM, then SIGKILL after a grace period); idempotent. */
  stop(): Promise<void>;
  /** Resolves with a reason when a component dies before stop() was called. */
  readonly died: Promise<string>;
}
