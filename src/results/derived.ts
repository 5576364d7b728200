/**
 * What analysis derives from a run's raw data, as results.json records it: latency statistics, sticky sessions
 * (src/analysis/sessions.ts), the cliff and its port prediction (cliff.ts, port-cliff.ts), failure attribution
 * (forensics.ts), population skew (population.ts), recovery after faults (faults.ts, recovery.ts). The types live
 * here, in the results layer, and the analysis writes into them: a merge of shards recomputes every one of them
 * from merged raw data (issue 18), so results must not import the analysis.
 */
import type { SessionEvent } from '../metrics/types.js';
import type { FaultRecord } from './observed.js';

/** Milliseconds, from an HDR histogram recorded in microseconds. All zero when count is 0. */
export interface LatencyStats {
  count: number;
  min: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  max: number;
}

/** The request kinds that carry a session id. */
export type RequestKind = 'poll' | 'post' | 'upgrade';

export interface SessionSummary {
  /** Raw SessionEvent totals, for anything not derived below. */
  counts: Partial<Record<SessionEvent, number>>;
  attempted: number;
  established: number;
  broken: number;
  /** broken / established; null when none was established. */
  brokenRate: number | null;
  upgradesAttempted: number;
  upgraded: number;
  /** upgraded / upgrades attempted; null when none was attempted. */
  upgradeRate: number | null;
  stuckPolling: number;
  /** Upgrade requests answered with something else than 101 (400 "Session ID unknown" when misrouted). */
  upgradesRefused: number;
  /** Sessions whose attempted upgrade did not complete and that carried on on polling: not broken. */
  upgradesFailed: number;
  /** Requests that carried a sid and ended without an answer, by kind (never counted as misroutes). */
  unanswered: Record<RequestKind, number>;
  /**
   * Requests that carried a sid (the handshake does not), by kind, each counted once when sent; and those answered
   * by a backend that did not issue their sid ("Session ID unknown", or another x-wsherd-backend), each counted once.
   */
  requests: Record<RequestKind, number>;
  misroutes: Record<RequestKind, number>;
  /** All misroutes / all requests that carried a sid; null when no request was counted. */
  misrouteRate: number | null;
  misrouteRateByKind: Record<RequestKind, number | null>;
  /** Reconnect checks and the share that returned to the same backend; null when none was made. */
  reconnects: number;
  affinityRate: number | null;
  endedOn: { polling: number; websocket: number };
  /** One sentence: did sessions stay together, and what broke. */
  verdict: string;
}

export interface CliffPrediction {
  /** Which component's limit, e.g. `proxy`. */
  component: string;
  /** What runs out, e.g. `fds`. */
  resource: 'fds' | 'connections' | 'ports';
  /** The predicted number of concurrent client connections at which it runs out. */
  at: number;
  /** How it was computed, e.g. `(1024 − 24) / 2`. */
  formula: string;
}

export interface Cliff {
  /** Open connections when failures began (the peak reached before the first second with a failure), or null when nothing failed. */
  measured: number | null;
  /** The second (run time) of the first failure, or null. */
  atSecond: number | null;
  /** The failure codes of that first failing second. */
  firstErrors: Record<string, number>;
  prediction?: CliffPrediction;
  /** measured / predicted − 1 (e.g. 0.02 = 2% above the prediction); null without both. */
  deviation: number | null;
  /** One sentence for the summary and the report. */
  diagnosis: string;
  /** Lab runs with probes: the proxy's upstream ports (src/analysis/port-cliff.ts). */
  ports?: PortCliff;
}

export interface PortCliff {
  /** The busiest proxy → backend pair: source address and backend address:port. */
  local: string;
  remote: string;
  /** Ports one pair has (the port range's size). */
  range: number;
  /** Upstream pairs the proxy spreads connections over (source addresses × backends). */
  pairs: number;
  /** True when the proxy closes upstream first and so holds TIME_WAIT (clients close with close: client-fin). */
  proxyHoldsTimeWait: boolean;
  /** Predicted peak of ports held per pair, and the second it first reaches the range (null: it never does). */
  predictedPeak: number;
  predictedSecond: number | null;
  /** Concurrent connections a pair sustains at the scenario's churn: range − churn × 60 s (may be ≤ 0). */
  sustainable: number;
  formula: string;
  /** Ports (all states) the busiest pair held at the probe nearest the first failure, and at its peak. */
  heldAtFailure: number | null;
  peakHeld: number;
  /** heldAtFailure / range − 1: near 0 when the range is what ran out. */
  deviation: number | null;
}

export type Side = 'generator' | 'proxy' | 'backend' | 'target';

export interface Attribution {
  side: Side;
  cause: string;
  count: number;
  /** The client-side failure codes this covers, e.g. ECONNRESET. */
  codes: string[];
  /** What shows it, e.g. `proxy accept_EMFILE 1,000; fds 1,024 of 1,024`. */
  evidence?: string;
}

export interface GroupResult {
  name: string;
  share: number;
  /** Source addresses the group has. */
  addresses: number;
  /** Client slots in the group (share × clients, exactly). */
  clients: number;
  /** Connections of the group that reached a backend. */
  connections: number;
  /** Its connections per backend id. */
  perBackend: Record<string, number>;
  /** Backends that got any of its connections. */
  backendsReached: number;
}

export interface PopulationResult {
  groups: GroupResult[];
  /** The busiest backend, and the group with the most connections on it. */
  hottest?: { backend: string; group: string; connections: number; shareOfBackend: number };
  /** One sentence for the summary and the report. */
  diagnosis: string;
}

export interface Recovery {
  /** Most reconnects started in one second of the window. */
  stormPeakPerSecond: number;
  /** Reconnects started in the window. */
  reconnectsTotal: number;
  /**
   * Seconds from `atSecond` until `open` is back to ≥ 99 % of the target, after first falling below it (0 when
   * it never fell below); null when it never came back within the window.
   */
  secondsToRecover: number | null;
  /** moved / (moved + returned) over the window; null when no reconnect was attributed to a backend. */
  movedFraction: number | null;
}

export interface FaultAnalysis extends Recovery {
  atSecond: number;
  action: FaultRecord['action'];
  backend: string | null;
  /** add and drain, with churn: connections ending in the window that reached another backend than their slot's previous one; else null. */
  remapFraction: number | null;
  /** The least remap the change needs: 1/(N+1) for add, 1/N for kill/stop/drain (N backends before the fault). */
  idealRemap: number | null;
  sentence: string;
}
