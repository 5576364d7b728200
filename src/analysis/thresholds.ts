/**
 * Threshold evaluation: a metric name (the spelling scenario files use) resolves to one number measured in a
 * Results, then the threshold's comparison decides pass or fail. A metric with no data fails: a gate that
 * measured nothing must not turn green (k6 behaves the same for thresholds on empty metrics).
 */
import type { ThresholdSpec, ThresholdOp } from '../scenario/types.js';
import type { Results, ThresholdResult } from '../results/types.js';
import type { LatencyStats } from '../results/derived.js';

/** What kind of number a metric is: decides units in reports (ms, a fraction shown as %, a count, a ratio). */
export type MetricKind = 'ms' | 'fraction' | 'count' | 'ratio';

const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'p999', 'min', 'max', 'mean'] as const;
type LatencyStatName = (typeof LATENCY_STATS)[number];
type LatencyField = keyof Results['summary']['latency'];

/**
 * What each latency subject of a threshold reads in summary.latency. `rtt` and `ack` are the round trips corrected
 * for coordinated omission (from the intended send): a gate must not pass because the generator stalled and sent
 * late. `*_uncorrected` names the round trip from the actual send (results field `rtt` / `ack`). A file written before
 * the correction existed has no corrected histogram: `rtt`/`ack` then read the uncorrected one, with a note.
 */
const SUBJECTS: Readonly<Record<string, { field: LatencyField; fallback?: LatencyField }>> = {
  connect: { field: 'connect' },
  handshake: { field: 'handshake' },
  rtt: { field: 'rtt_corrected', fallback: 'rtt' },
  upgrade: { field: 'upgrade' },
  ack: { field: 'ack_corrected', fallback: 'ack' },
  lookup: { field: 'lookup' },
  rtt_corrected: { field: 'rtt_corrected' },
  ack_corrected: { field: 'ack_corrected' },
  rtt_uncorrected: { field: 'rtt' },
  ack_uncorrected: { field: 'ack' },
};
const HISTOGRAMS: readonly string[] = Object.keys(SUBJECTS);
const LATENCY_RE = new RegExp(`^(p50|p90|p95|p99|p999|min|max|mean)\\((${HISTOGRAMS.join('|')})\\)$`);
/** Scripted sessions' latencies (summary.flow): a named step's completions, or deliveries (stamp → receipt). */
const FLOW_LATENCY_RE = /^(p50|p90|p95|p99|p999|min|max|mean)\((step:.+|delivery)\)$/;
/** A named step's failures: `step:NAME.errors` (count), `step:NAME.error_rate` (errors / (ok + errors)). */
const STEP_COUNT_RE = /^step:(.+)\.(errors|error_rate)$/;

/** The latency stats of `step:NAME` or `delivery` in summary.flow (undefined without a flow, or no such step). */
function flowStats(results: Results, subject: string): LatencyStats | undefined {
  const flow = results.summary.flow;
  if (flow === undefined) return undefined;
  if (subject === 'delivery') return flow.deliveries.latency;
  return Object.hasOwn(flow.steps, subject.slice('step:'.length)) ? flow.steps[subject.slice('step:'.length)]?.latency : undefined;
}

function stepCount(results: Results, name: string, what: string): number | null {
  const flow = results.summary.flow;
  const step = flow !== undefined && Object.hasOwn(flow.steps, name) ? flow.steps[name] : undefined;
  if (step === undefined) return null;
  return what === 'errors' ? step.errorCount : step.errorRate;
}

/** The latency stats a subject reads in `results`, and whether it fell back to the uncorrected histogram. */
function subjectStats(results: Results, subject: string): { stats: LatencyStats | undefined; fellBack: boolean } {
  const def = SUBJECTS[subject];
  if (def === undefined) return { stats: undefined, fellBack: false };
  const lat = results.summary.latency;
  const stats = lat[def.field];
  if (stats === undefined && def.fallback !== undefined && lat[def.fallback] !== undefined) return { stats: lat[def.fallback], fellBack: true };
  return { stats, fellBack: false };
}

type Resolver = (r: Results) => number | null;

const counter = (key: keyof Results['summary']['counters']): Resolver => (r) => r.summary.counters[key] ?? null;
const skew = (key: keyof NonNullable<Results['backends']['skew']>): Resolver => (r) => r.backends.skew?.[key] ?? null;

/** Every non-latency metric, with its kind and how to read it. */
const METRICS: Record<string, { kind: MetricKind; read: Resolver }> = {
  // No attempts means no rate: 0 would let an empty run pass `errors.rate < 0.01`.
  'errors.rate': { kind: 'fraction', read: (r) => (r.summary.counters.attempted > 0 ? r.summary.errors.rate : null) },
  'errors.count': { kind: 'count', read: (r) => r.summary.errors.total },
  'connections.attempted': { kind: 'count', read: counter('attempted') },
  'connections.established': { kind: 'count', read: counter('established') },
  'connections.failed': { kind: 'count', read: counter('failed') },
  'connections.dropped': { kind: 'count', read: counter('dropped') },
  'connections.peak_open': { kind: 'count', read: (r) => r.summary.peakOpen },
  'messages.sent': { kind: 'count', read: counter('messagesSent') },
  'messages.received': { kind: 'count', read: counter('messagesReceived') },
  'messages.lost': { kind: 'count', read: counter('messagesLost') },
  // Absent (no data) in files from before skipped sends were counted.
  'messages.skipped': { kind: 'count', read: counter('messagesSkipped') },
  'messages.lost_rate': {
    kind: 'fraction',
    read: (r) => (r.summary.counters.messagesSent > 0 ? r.summary.counters.messagesLost / r.summary.counters.messagesSent : null),
  },
  'sessions.misroute_rate': { kind: 'fraction', read: (r) => r.summary.sessions?.misrouteRate ?? null },
  'sessions.misroute_rate.poll': { kind: 'fraction', read: (r) => r.summary.sessions?.misrouteRateByKind.poll ?? null },
  'sessions.misroute_rate.post': { kind: 'fraction', read: (r) => r.summary.sessions?.misrouteRateByKind.post ?? null },
  'sessions.misroute_rate.upgrade': { kind: 'fraction', read: (r) => r.summary.sessions?.misrouteRateByKind.upgrade ?? null },
  'sessions.broken_rate': { kind: 'fraction', read: (r) => r.summary.sessions?.brokenRate ?? null },
  'sessions.upgrade_rate': { kind: 'fraction', read: (r) => r.summary.sessions?.upgradeRate ?? null },
  'sessions.affinity_rate': { kind: 'fraction', read: (r) => r.summary.sessions?.affinityRate ?? null },
  'sessions.established': { kind: 'count', read: (r) => r.summary.sessions?.established ?? null },
  'sessions.broken': { kind: 'count', read: (r) => r.summary.sessions?.broken ?? null },
  'sessions.stuck_polling': { kind: 'count', read: (r) => r.summary.sessions?.stuckPolling ?? null },
  'limits.cliff': { kind: 'count', read: (r) => r.analysis?.cliff?.measured ?? null },
  'limits.cliff_deviation': {
    kind: 'fraction',
    read: (r) => {
      const d = r.analysis?.cliff?.deviation;
      return d === null || d === undefined ? null : Math.abs(d);
    },
  },
  'backends.peak_to_average': { kind: 'ratio', read: skew('peakToAverage') },
  'backends.cv': { kind: 'ratio', read: skew('cv') },
  'backends.jain': { kind: 'ratio', read: skew('jain') },
  'backends.min_share': { kind: 'fraction', read: skew('minShare') },
  'backends.max_share': { kind: 'fraction', read: skew('maxShare') },
  // Scripted sessions (summary.flow): no flow, no data.
  'delivery.loss': { kind: 'fraction', read: (r) => r.summary.flow?.deliveries.loss ?? null },
  'delivery.lost': { kind: 'count', read: (r) => r.summary.flow?.deliveries.lost ?? null },
  'delivery.expected': { kind: 'count', read: (r) => r.summary.flow?.deliveries.expected ?? null },
  'delivery.received': { kind: 'count', read: (r) => r.summary.flow?.deliveries.received ?? null },
  'frames.received': { kind: 'count', read: (r) => r.summary.flow?.frames.received ?? null },
  'frames.solicited': { kind: 'count', read: (r) => r.summary.flow?.frames.solicited ?? null },
  'frames.unsolicited': { kind: 'count', read: (r) => r.summary.flow?.frames.unsolicited ?? null },
  'generator.lag_max': {
    kind: 'ms',
    read: (r) => (r.generator.workers.length > 0 ? Math.max(...r.generator.workers.map((w) => w.maxLagMs)) : null),
  },
};

/** Every metric name a threshold may use, e.g. for help texts and "did you mean" hints. */
export const METRIC_NAMES: readonly string[] = [
  ...HISTOGRAMS.flatMap((h) => LATENCY_STATS.map((s) => `${s}(${h})`)),
  ...LATENCY_STATS.map((s) => `${s}(delivery)`),
  ...Object.keys(METRICS),
];

export function isKnownMetric(metric: string): boolean {
  return LATENCY_RE.test(metric) || FLOW_LATENCY_RE.test(metric) || STEP_COUNT_RE.test(metric) || Object.hasOwn(METRICS, metric);
}

/** The kind of a metric (for units); undefined when the name is unknown. */
export function metricKind(metric: string): MetricKind | undefined {
  if (LATENCY_RE.test(metric) || FLOW_LATENCY_RE.test(metric)) return 'ms';
  const step = STEP_COUNT_RE.exec(metric);
  if (step) return step[2] === 'errors' ? 'count' : 'fraction';
  return Object.hasOwn(METRICS, metric) ? METRICS[metric]?.kind : undefined;
}

/**
 * The measured value of `metric` in `results`, in its base unit (ms for latencies, a fraction for rates).
 * null when the metric is unknown or had no data (no samples, nothing attempted, no backends).
 */
export function metricValue(results: Results, metric: string): number | null {
  const m = LATENCY_RE.exec(metric);
  if (m) {
    const { stats } = subjectStats(results, m[2] as string);
    if (!stats || stats.count === 0) return null;
    return stats[m[1] as LatencyStatName];
  }
  const f = FLOW_LATENCY_RE.exec(metric);
  if (f) {
    const stats = flowStats(results, f[2] as string);
    return stats === undefined || stats.count === 0 ? null : stats[f[1] as LatencyStatName];
  }
  const step = STEP_COUNT_RE.exec(metric);
  if (step) return stepCount(results, step[1] as string, step[2] as string);
  const def = Object.hasOwn(METRICS, metric) ? METRICS[metric] : undefined;
  if (!def) return null;
  const v = def.read(results);
  return v === null || !Number.isFinite(v) ? null : v;
}

export function compare(measured: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<': return measured < limit;
    case '<=': return measured <= limit;
    case '>': return measured > limit;
    case '>=': return measured >= limit;
    case '==': return measured === limit;
    case '!=': return measured !== limit;
  }
}

/** Evaluates every threshold against `results`, in the given order. */
export function evaluateThresholds(results: Results, specs: readonly ThresholdSpec[]): ThresholdResult[] {
  return specs.map((spec) => {
    const base = { source: spec.source, metric: spec.metric, op: spec.op, value: spec.value };
    if (!isKnownMetric(spec.metric)) {
      return { ...base, measured: null, pass: false, note: `unknown metric "${spec.metric}"` };
    }
    const measured = metricValue(results, spec.metric);
    if (measured === null) {
      return { ...base, measured: null, pass: false, note: `no data for ${spec.metric}${noDataReason(results, spec.metric)}` };
    }
    const m = LATENCY_RE.exec(spec.metric);
    const fellBack = m !== null && subjectStats(results, m[2] as string).fellBack;
    return {
      ...base, measured, pass: compare(measured, spec.op, spec.value),
      ...(fellBack ? { note: `this results file has no ${m?.[2] ?? ''}_corrected (written before wsherd corrected for coordinated omission): the uncorrected round trip was used` } : {}),
    };
  });
}

function noDataReason(results: Results, metric: string): string {
  const m = LATENCY_RE.exec(metric);
  if (m) return ` (no ${m[2]} samples were recorded)`;
  const flow = results.summary.flow;
  const f = FLOW_LATENCY_RE.exec(metric) ?? STEP_COUNT_RE.exec(metric);
  const flowMetric = f !== null || /^(delivery|frames)\./.test(metric);
  if (flowMetric && flow === undefined) return ' (the run had no flow, roles or script)';
  const subject = f === null ? undefined : f[0].startsWith('step:') ? `step:${f[1] ?? ''}` : f[2];
  if (subject?.startsWith('step:') === true) {
    const name = subject.slice('step:'.length);
    if (flow === undefined || !Object.hasOwn(flow.steps, name)) return ` (no step named "${name}" ran)`;
    return STEP_COUNT_RE.test(metric) ? ' (the step never ended)' : ` (step "${name}" never completed)`;
  }
  if (subject === 'delivery') return ' (no delivery was received)';
  if (metric === 'delivery.loss') return ' (nothing was expected: no publish fell inside a membership)';
  if (metric === 'errors.rate') return ' (no connection was attempted)';
  if (metric === 'messages.lost_rate') return ' (no message was sent)';
  if (metric === 'messages.skipped') return ' (this results file is from before skipped sends were counted)';
  if (metric.startsWith('backends.')) {
    return results.backends.perBackend.length === 0 ? ' (no backend identified itself)' : ' (no connection was attributed)';
  }
  if (metric.startsWith('generator.')) return ' (no worker reported)';
  return '';
}
