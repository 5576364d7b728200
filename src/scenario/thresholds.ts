/**
 * Threshold expressions (k6 style): `<metric> <op> <number>[unit]`, e.g. `p99(connect) < 50ms`,
 * `errors.rate < 1%`, `backends.peak_to_average < 1.2`. Parsed and checked while the scenario loads, so a typo in
 * a metric name fails before any socket opens; evaluated against results by src/analysis/.
 */
import type { ThresholdOp } from './types.js';
import { closest } from './suggest.js';

/** How a metric's value is expressed, which decides the units a threshold may use. */
export type MetricKind =
  /** Milliseconds; `ms`, `s`, `us` accepted and converted, a bare number is ms. */
  | 'latency'
  /** A fraction between 0 and 1; `%` accepted (`1%` is 0.01). */
  | 'fraction'
  /** A whole count; no unit. */
  | 'count'
  /** A dimensionless ratio or index; no unit. */
  | 'ratio';

export interface MetricDoc {
  name: string;
  kind: MetricKind;
  description: string;
}

export interface ParsedThreshold {
  metric: string;
  op: ThresholdOp;
  /** In the metric's base unit: ms for latencies, a fraction for rates. */
  value: number;
}

export interface ThresholdParseError {
  error: string;
  hint: string;
}

export const THRESHOLD_OPS: readonly ThresholdOp[] = ['<', '<=', '>', '>=', '==', '!='];

export const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'p999', 'min', 'max', 'mean'] as const;

const LATENCY_SUBJECTS: ReadonlyArray<readonly [string, string]> = [
  ['connect', 'TCP connect time, from connect() to the socket being connected'],
  ['handshake', 'WebSocket handshake time, from TCP connected to the 101 response'],
  ['rtt', 'message round-trip time, from the time the schedule meant the message to leave to the echo arriving (corrected for coordinated omission: a generator stall counts); the same as rtt_corrected'],
  ['upgrade', 'socketio/engineio: time from the session opening (on polling) to the WebSocket upgrade completing'],
  ['ack', 'socketio/engineio: time from the intended emit to its acknowledgement (corrected, as rtt); the same as ack_corrected'],
  ['lookup', 'dns/orchestrated: time to resolve the name or get an endpoint before connecting (cache hits excluded)'],
  ['rtt_corrected', 'the same as rtt: from the intended send (results summary.latency.rtt_corrected)'],
  ['rtt_uncorrected', 'message round-trip time from the actual send (results summary.latency.rtt): blind to generator stalls'],
  ['ack_corrected', 'the same as ack: from the intended emit (results summary.latency.ack_corrected)'],
  ['ack_uncorrected', 'socketio/engineio: time from the actual emit to its acknowledgement (results summary.latency.ack)'],
  ['delivery', 'flows: time from a publish step\'s stamp to a subscriber receiving it (one host\'s clock: publisher and subscriber run on the same machine)'],
];

const STAT_WORDS: Readonly<Record<string, string>> = {
  p50: 'median',
  p90: '90th percentile',
  p95: '95th percentile',
  p99: '99th percentile',
  p999: '99.9th percentile',
  min: 'minimum',
  max: 'maximum',
  mean: 'mean',
};

const OTHER_METRICS: readonly MetricDoc[] = [
  { name: 'errors.rate', kind: 'fraction', description: '(failed + dropped connections) / attempted connections; 0 when nothing was attempted' },
  { name: 'errors.count', kind: 'count', description: 'failed + dropped connections' },
  { name: 'connections.attempted', kind: 'count', description: 'connection attempts started' },
  { name: 'connections.established', kind: 'count', description: 'connections that completed the WebSocket handshake' },
  { name: 'connections.failed', kind: 'count', description: 'attempts that never reached an open WebSocket' },
  { name: 'connections.dropped', kind: 'count', description: 'open connections closed by the other side or the network before their time' },
  { name: 'connections.peak_open', kind: 'count', description: 'highest number of simultaneously open connections' },
  { name: 'messages.sent', kind: 'count', description: 'messages sent by clients' },
  { name: 'messages.received', kind: 'count', description: 'echoes received by clients' },
  { name: 'messages.lost', kind: 'count', description: 'messages not echoed within behavior.message_timeout' },
  { name: 'messages.lost_rate', kind: 'fraction', description: 'messages.lost over messages.sent' },
  { name: 'messages.skipped', kind: 'count', description: 'scheduled sends that never left: overdue beyond 10 per client at once after a generator stall (neither sent nor lost)' },
  { name: 'sessions.misroute_rate', kind: 'fraction', description: 'socketio/engineio: requests after the handshake that reached a backend other than their session\'s (or got "Session ID unknown"), over all such requests' },
  { name: 'sessions.misroute_rate.poll', kind: 'fraction', description: 'the same, polling GETs only' },
  { name: 'sessions.misroute_rate.post', kind: 'fraction', description: 'the same, polling POSTs only' },
  { name: 'sessions.misroute_rate.upgrade', kind: 'fraction', description: 'the same, WebSocket upgrade requests only' },
  { name: 'sessions.broken_rate', kind: 'fraction', description: 'socketio/engineio: sessions that broke after opening, over sessions opened' },
  { name: 'sessions.upgrade_rate', kind: 'fraction', description: 'socketio/engineio: WebSocket upgrades completed over upgrades attempted' },
  { name: 'sessions.affinity_rate', kind: 'fraction', description: 'socketio/engineio with reconnect_check: reconnects that returned to the same backend' },
  { name: 'sessions.established', kind: 'count', description: 'socketio/engineio: sessions opened' },
  { name: 'sessions.broken', kind: 'count', description: 'socketio/engineio: sessions broken after opening' },
  { name: 'sessions.stuck_polling', kind: 'count', description: 'socketio/engineio: sessions whose upgrade never completed' },
  { name: 'limits.cliff', kind: 'count', description: 'lab runs: open connections when failures began (no data when nothing failed)' },
  { name: 'limits.cliff_deviation', kind: 'fraction', description: 'lab runs: how far the measured cliff is from the proxy fd prediction (fd limit − idle fds) / 2, as a fraction of it' },
  { name: 'backends.peak_to_average', kind: 'ratio', description: "busiest backend's connections over the mean per backend (1 = perfectly even)" },
  { name: 'backends.cv', kind: 'ratio', description: 'coefficient of variation of connections per backend (0 = even)' },
  { name: 'backends.jain', kind: 'ratio', description: "Jain's fairness index of connections per backend (1 = even, 1/n = all on one)" },
  { name: 'backends.min_share', kind: 'fraction', description: 'share of connections on the least loaded backend' },
  { name: 'backends.max_share', kind: 'fraction', description: 'share of connections on the most loaded backend' },
  { name: 'delivery.loss', kind: 'fraction', description: 'flows: delivery.lost over delivery.expected (0 when nothing was expected)' },
  { name: 'delivery.lost', kind: 'count', description: 'flows: deliveries expected at a subscriber (published while it was a member of the topic) and never received' },
  { name: 'delivery.expected', kind: 'count', description: 'flows: publishes × the subscribers that were members of their topic at the time (publishers excluded)' },
  { name: 'delivery.received', kind: 'count', description: 'flows: stamped frames received by subscribers (including early, late and stray ones)' },
  { name: 'frames.received', kind: 'count', description: 'flows: frames received by flow clients' },
  { name: 'frames.solicited', kind: 'count', description: 'flows: received frames that matched an expect / on step or answered a correlated request' },
  { name: 'frames.unsolicited', kind: 'count', description: 'flows: every other received frame (pushes, broadcasts, deliveries)' },
  { name: 'generator.lag_max', kind: 'latency', description: "worst event-loop lag of the load generator's workers (high = results unreliable)" },
];

/** Every metric a threshold may name, one row per name (also the table in docs/scenario.md). */
export const KNOWN_METRICS: readonly MetricDoc[] = [
  ...LATENCY_SUBJECTS.flatMap(([subject, what]) =>
    LATENCY_STATS.map((stat): MetricDoc => ({ name: `${stat}(${subject})`, kind: 'latency', description: `${STAT_WORDS[stat]} ${what}` })),
  ),
  ...OTHER_METRICS,
];

const BY_NAME: ReadonlyMap<string, MetricDoc> = new Map(KNOWN_METRICS.map((m) => [m.name, m]));
const NAMES: readonly string[] = KNOWN_METRICS.map((m) => m.name);

/**
 * Per-step metrics, named after the flow's steps: `<stat>(step:NAME)` (latency), `step:NAME.errors` (count),
 * `step:NAME.error_rate` (fraction of the step's runs that failed). Whether NAME is a step of the scenario is
 * checked with the whole scenario (flow-behavior.ts).
 */
const STEP_LATENCY = /^(p50|p90|p95|p99|p999|min|max|mean)\(step:([A-Za-z0-9_.-]+)\)$/;
const STEP_COUNT = /^step:([A-Za-z0-9_.-]+)\.(errors|error_rate)$/;

/** The spellings of per-step metrics, for docs and unknown-metric hints. */
export const STEP_METRIC_FORMS: readonly MetricDoc[] = [
  { name: '<stat>(step:NAME)', kind: 'latency', description: 'flows: latency of the named step (p50 … mean as above): a correlated send to its answer, an expect / on from its start to the match, an emit to its ack' },
  { name: 'step:NAME.errors', kind: 'count', description: 'flows: failures of the named step (timeouts, no match, closed socket, script errors); step:flow counts unnamed steps' },
  { name: 'step:NAME.error_rate', kind: 'fraction', description: 'flows: failures of the named step over its runs (completed + failed)' },
];

export function metricDoc(name: string): MetricDoc | undefined {
  const known = BY_NAME.get(name);
  if (known !== undefined) return known;
  const latency = STEP_LATENCY.exec(name);
  if (latency !== null) return { name, kind: 'latency', description: `${STAT_WORDS[latency[1] as string]} latency of the step ${latency[2]}` };
  const count = STEP_COUNT.exec(name);
  if (count === null) return undefined;
  return count[2] === 'errors' ? { name, kind: 'count', description: `failures of the step ${count[1]}` } : { name, kind: 'fraction', description: `failures of the step ${count[1]} over its runs` };
}

const FORM_HINT = 'write <metric> <op> <number>[unit], e.g. "p99(connect) < 50ms"; ops are < <= > >= == !=';
const SHAPE = /^\s*([A-Za-z0-9_.():-]+)\s*(<=|>=|==|!=|<|>)\s*(.*?)\s*$/;
const NUMBER_UNIT = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-zµ%]*)$/;
const LATENCY_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, us: 0.001, µs: 0.001 };

/** Parses one threshold expression; the value comes back in the metric's base unit. */
export function parseThreshold(text: string): ParsedThreshold | ThresholdParseError {
  const shape = SHAPE.exec(text);
  if (shape === null) {
    const hint = /(^|[^<>=!])=($|[^=])/.test(text) ? 'use == to compare for equality' : FORM_HINT;
    return { error: 'not of the form <metric> <op> <number>[unit]', hint };
  }
  const [, metric = '', op = '', rest = ''] = shape;
  const doc = metricDoc(metric);
  if (doc === undefined) return { error: `unknown metric "${metric}"`, hint: unknownMetricHint(metric) };
  const numberUnit = NUMBER_UNIT.exec(rest);
  if (numberUnit === null) return { error: `expected a number after "${op}", got "${rest}"`, hint: FORM_HINT };
  const value = convert(doc, Number(numberUnit[1]), numberUnit[2] ?? '');
  if ('error' in value) return value;
  return { metric, op: op as ThresholdOp, value: value.value };
}

function convert(doc: MetricDoc, n: number, unit: string): { value: number } | ThresholdParseError {
  switch (doc.kind) {
    case 'latency': {
      const factor = LATENCY_UNITS[unit];
      if (factor === undefined) return badUnit(unit, doc, 'use ms, s or us; a bare number is ms');
      return { value: n * factor };
    }
    case 'fraction': {
      if (unit !== '' && unit !== '%') return badUnit(unit, doc, 'write a fraction such as 0.01, or a percentage such as 1%');
      const value = unit === '%' ? n / 100 : n;
      if (value < 0 || value > 1) {
        return { error: `${doc.name} is a fraction between 0 and 1, got ${n}${unit}`, hint: 'write a fraction such as 0.01, or a percentage such as 1%' };
      }
      return { value };
    }
    default:
      if (unit !== '') return badUnit(unit, doc, 'this metric has no unit; write a bare number');
      return { value: n };
  }
}

function badUnit(unit: string, doc: MetricDoc, hint: string): ThresholdParseError {
  return { error: `unit "${unit}" does not apply to ${doc.name}`, hint };
}

function unknownMetricHint(metric: string): string {
  if (metric.includes('step:')) return 'step metrics are <stat>(step:NAME), step:NAME.errors and step:NAME.error_rate, NAME a step\'s name: (letters, digits, _ . -)';
  const match = closest(metric, NAMES);
  if (match !== undefined) return `did you mean "${match}"?`;
  return 'known metrics: p50..p999|min|max|mean(connect|handshake|rtt|upgrade|ack|delivery), errors.*, connections.*, messages.*, sessions.*, backends.*, delivery.*, frames.*, <stat>(step:NAME), step:NAME.errors, generator.lag_max (see docs/scenario.md)';
}
