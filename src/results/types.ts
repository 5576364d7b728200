/**
 * results.json, version 1: the contract between `run`, `report`, `compare`, `plan` and shard merging.
 * Documented field by field in docs/results.md; JSON Schema in schema/results.schema.json. Within a version
 * fields are only added; a change of meaning or unit bumps RESULTS_VERSION.
 */
import type { Scenario } from '../scenario/types.js';
import type { Counters, GeneratorMemory, HistogramName, RawMetrics, ReconnectCounts, RehomeCounts, WorkerInfo } from '../metrics/types.js';
import type { MergeInfo, ShardInfo } from './shard-types.js';
import type { LabComponent, LabStats } from './lab-types.js';
import type { Attribution, Cliff, FaultAnalysis, LatencyStats, PopulationResult, SessionSummary } from './derived.js';
import type { FlowSummary } from './flow-summary.js';
import type { FaultRecord, ProbeSeries } from './observed.js';

export const RESULTS_FORMAT = 'wsherd-results';
export const RESULTS_VERSION = 1;

export type RunStatus = 'complete' | 'aborted' | 'failed';

export interface SkewStats {
  /** Busiest backend's count / mean count (1 = even). */
  peakToAverage: number;
  /** Population standard deviation / mean. */
  cv: number;
  /** Jain's fairness index (Σx)²/(n·Σx²): 1 = even, 1/n = all on one. */
  jain: number;
  minShare: number;
  maxShare: number;
}

export interface BackendResult {
  id: string;
  connections: number;
  share: number;
  /** Lab runs: sessions the backend itself counted (a cross-check of attribution). */
  sessionsSeenByBackend?: number;
}

export interface SeriesPoint {
  t: number;
  open: number;
  /** The most open at once during this second (10 ms resolution, src/metrics/aggregate.ts); absent in older files. */
  openMax?: number;
  opened: number;
  failed: number;
  dropped: number;
  closed: number;
  errors: Record<string, number>;
  messagesSent: number;
  messagesReceived: number;
  rttP50: number | null;
  rttP99: number | null;
  connectP99: number | null;
  backendsOpen: Record<string, number>;
  lagMaxMs: number;
  fds: number;
  /** With behavior.reconnect: reconnects started this second, and those established on another backend or the same. */
  reconnects?: ReconnectCounts;
  /** Connections that ended this second on their slot's previous backend (same) or another (moved). */
  rehomed?: RehomeCounts;
  /** Runs with a flow: stamped deliveries received and named-step failures this second. */
  flow?: { deliveries: number; stepErrors: number };
}

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ThresholdResult {
  source: string;
  metric: string;
  op: ThresholdOp;
  value: number;
  /** null when the metric had no data: the threshold then fails. */
  measured: number | null;
  pass: boolean;
  note?: string;
}

export interface Environment {
  wsherdVersion: string;
  node: string;
  platform: string;
  kernel: string;
  arch: string;
  cpus: number;
  memTotalBytes: number;
  /** The coordinator's RLIMIT_NOFILE; workers inherit it. */
  fdLimit: number;
  /** net.ipv4.ip_local_port_range in force. */
  portRange: [number, number];
  workers: number;
}

export interface Results {
  format: typeof RESULTS_FORMAT;
  version: number;
  status: RunStatus;
  statusReason?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  scenario: Scenario;
  environment: Environment;
  target: { kind: 'lab' | 'external'; url: string };
  summary: {
    counters: Counters;
    peakOpen: number;
    openRate: { mean: number; max: number };
    /** samples: for some codes, what exactly happened the first time (e.g. what a target answered instead of Engine.IO). */
    errors: { total: number; rate: number; byCode: Record<string, number>; samples?: Record<string, string>;
      /** Of total, the generator's own: `cancelled` (never established before its planned end) and EMFILE, ENFILE,
       *  EADDRNOTAVAIL. Absent in files from before it was added. */
      generator?: number;
      /** The target's error rate: (total − generator) / (attempted − cancelled); what the report calls the error rate
       *  when the generator had failures of its own. Absent in files from before it was added. */
      targetRate?: number };
    /** upgrade and ack only for session engines (socketio, engineio), lookup only for dns/orchestrated; each only when it recorded samples.
     *  rtt and ack run from the actual send; rtt_corrected and ack_corrected (added later in version 1, absent in older files)
     *  from the send time the schedule intended, which a generator stall delays (docs/measurement.md). */
    latency: {
      connect: LatencyStats; handshake: LatencyStats; rtt: LatencyStats; upgrade?: LatencyStats; ack?: LatencyStats; lookup?: LatencyStats;
      rtt_corrected?: LatencyStats; ack_corrected?: LatencyStats;
    };
    /** Session engines (socketio, engineio) only: sticky-session correctness (src/analysis/sessions.ts). */
    sessions?: SessionSummary;
    /** Runs with behavior.flow, roles or script: steps, frames, deliveries (src/analysis/flow.ts). */
    flow?: FlowSummary;
  };
  histograms: Partial<Record<HistogramName, string>>;
  /** With summary.flow: whole-run HDR histograms (µs, compressed base64) by `step:NAME` and `delivery`, so shard
   *  merging stays exact. */
  flowHistograms?: Record<string, string>;
  /** population: with a scenario population, each group's connections per backend and who drove the hottest one. */
  backends: { perBackend: BackendResult[]; unattributed: number; skew: SkewStats | null; population?: PopulationResult };
  series: SeriesPoint[];
  thresholds: ThresholdResult[];
  /** The workers, and (absent in files from before issue 17) the coordinator's RSS and the whole tree's memory. */
  generator: { workers: WorkerInfo[] } & Partial<GeneratorMemory>;
  /** Analyses of where the run hit a limit (lab runs): the cliff, measured and predicted (src/analysis/cliff.ts). */
  analysis?: { cliff?: Cliff; forensics?: Attribution[]; faults?: FaultAnalysis[] };
  lab?: { components: LabComponent[]; stats?: LabStats };
  /** Lab runs: per-interval /proc samples of the components' fds and RSS and of sockets per pair (src/probes/sampler.ts). */
  probes?: ProbeSeries;
  /** The scenario's faults as applied (src/run/faults.ts), each with what the clients did after it. */
  faults?: FaultRecord[];
  /** A sharded run (`run --shard i/N`): which shard, how it was synchronised (src/results/shard-types.ts). */
  shard?: ShardInfo;
  /** A merge of shards (`wsherd merge`): the shards, which are missing, how far apart they started. */
  merge?: MergeInfo;
  /** Shards: the raw metrics an exact merge re-adds (src/metrics/types.ts, RawMetrics). */
  raw?: RawMetrics;
}
