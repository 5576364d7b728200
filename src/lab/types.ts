/** The running reference lab, as the rest of wsherd sees it. */

export type ComponentKind = 'backend' | 'proxy';

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
    /** Active checks and passive failures (failed connects) counted so far; lastError is the last failure's code. */
    checks?: { passed: number; failed: number; lastError: string | null };
    /** Upstream connections open or connecting per local source address (`default`: kernel-chosen). */
    ports?: Record<string, number>;
    /** Upstream connects that failed on this proxy's side (EADDRNOTAVAIL, EMFILE, ENFILE) per source address. */
    sourceErrors?: Record<string, number>;
  }>;
  process: { fds: number; fdLimit: number; rssBytes: number; eventLoopLagMs: number };
}

export interface LabStats {
  backends: BackendStats[];
  proxy?: ProxyStats;
}

export interface Lab {
  components: LabComponent[];
  /** Where clients connect: the proxy's URL. */
  entryUrl: string;
  stats(): Promise<LabStats>;
  /** Stops every component (SIGTERM, then SIGKILL after a grace period); idempotent. */
  stop(): Promise<void>;
  /** Resolves with a reason when a component dies before stop() was called. */
  readonly died: Promise<string>;
}
