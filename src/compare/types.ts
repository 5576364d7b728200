/** compare.json: one row per approach of a `wsherd compare` run (docs/results.md#comparisons). */
import type { Approach, ProxySpec } from '../scenario/types.js';

export const COMPARE_FORMAT = 'wsherd-compare';
export const COMPARE_VERSION = 1;

/** The figures put side by side; null when the approach's run has no data for it. */
export interface ApproachMetrics {
  established: number;
  /** Failures and drops (summary.errors.total): a row with more of these than it established gets no best mark. */
  errors?: number;
  errorsRate: number | null;
  connectP99: number | null;
  peakToAverage: number | null;
  /** Jain's fairness index of connections over backends (1 = even). */
  jain: number | null;
  /** dns/orchestrator approaches: p99 of the name lookup or endpoint request, ms. */
  lookupP99: number | null;
  /** With faults and churn: the share of clients that came back on another backend after the first fault with a remap. */
  remap?: number | null;
  /** With a kill or stop fault: the longest time until every client was connected again, s (null: never). */
  recoverySeconds?: number | null;
  /** With faults: the highest reconnect storm, reconnects per second. */
  stormPeak?: number | null;
  misrouteRate: number | null;
  brokenRate: number | null;
  upgradeRate: number | null;
  affinityRate: number | null;
}

export interface ApproachRow {
  name: string;
  proxy: Pick<ProxySpec, 'strategy' | 'mode'> & { options?: ProxySpec['options'] };
  /** How clients reached the backends (absent in files from before approaches: proxy). */
  approach?: Approach;
  status: 'complete' | 'aborted' | 'failed' | 'skipped';
  statusReason?: string;
  /** results.json of this approach, relative to compare.json's folder. */
  results?: string;
  thresholdsPassed: number;
  thresholdsFailed: number;
  metrics?: ApproachMetrics;
  /** One sentence: what happened with this approach (stickiness first, when sessions were measured). */
  sentence: string;
  /** The run's verdict label (PASS, THRESHOLDS FAILED, INCONCLUSIVE, FAILED, …; src/report/verdict.ts). */
  verdict?: string;
  /** True when the generator was saturated in this approach's run (src/analysis/saturation.ts): its figures are
   *  not the approach's, and none of them is marked best. */
  inconclusive?: boolean;
  /** The run's diagnosis (src/analysis/diagnosis.ts), kind and sentence, as its own report gives it. */
  diagnosis?: { kind: string; sentence: string };
}

export interface CompareResults {
  format: typeof COMPARE_FORMAT;
  version: number;
  scenario: string;
  startedAt: string;
  endedAt: string;
  status: 'complete' | 'aborted' | 'failed';
  approaches: ApproachRow[];
  /**
   * Per metric, the approaches with the best value (lowest rate, highest established…); ties list all of them,
   * and a metric on which every approach is equal has no entry (there is nothing to prefer). Rows that are
   * inconclusive (generator saturated) or that failed more than they established never win; they still count as the
   * values the others are compared with.
   */
  best: Partial<Record<keyof ApproachMetrics, string[]>>;
}
