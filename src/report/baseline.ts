/**
 * `wsherd report --baseline old new`: every metric both runs measured, old against new, with the delta and
 * whether it regressed — moved in the metric's worse direction by more than its relative tolerance. Pure: the
 * file reading and rendering live in baseline-file.ts, baseline-html.ts and baseline-summary.ts.
 */
import { isKnownMetric, METRIC_NAMES, metricKind, metricValue, type MetricKind } from '../analysis/thresholds.js';
import { WsherdError } from '../errors.js';
import type { Results } from '../results/types.js';
import { parsePercent } from '../scenario/baseline.js';
import type { BaselineSpec } from '../scenario/types.js';

export const BASELINE_FORMAT = 'wsherd-baseline';
export const BASELINE_VERSION = 1;
/** The tolerance when neither the command line nor the new run's scenario gives one. */
export const DEFAULT_TOLERANCE = 0.1;

/** Always listed, first, even when a run has no data for them: what people look at first. */
export const KEY_METRICS: readonly string[] = [
  'p50(connect)', 'p99(connect)', 'p50(handshake)', 'p99(handshake)', 'p50(rtt)', 'p99(rtt)',
  'errors.rate', 'backends.peak_to_average', 'connections.established',
];

/**
 * Which way is worse. `neutral`: the number describes the workload or the instrument rather than the target
 * (how many clients were attempted, how far the capacity model was off, the generator's own lag), so it is
 * shown but never regresses.
 */
export type Direction = 'lower-is-better' | 'higher-is-better' | 'neutral';

const HIGHER_IS_BETTER = new Set([
  'connections.established', 'connections.peak_open', 'messages.received', 'sessions.upgrade_rate', 'sessions.affinity_rate',
  'sessions.established', 'limits.cliff', 'backends.jain', 'backends.min_share',
]);
// messages.skipped: sends the generator itself skipped after a stall, not the target's doing.
const NEUTRAL = new Set(['connections.attempted', 'messages.sent', 'limits.cliff_deviation', 'generator.lag_max', 'messages.skipped']);

export function directionOf(metric: string): Direction {
  if (NEUTRAL.has(metric)) return 'neutral';
  return HIGHER_IS_BETTER.has(metric) ? 'higher-is-better' : 'lower-is-better';
}

export interface Tolerances {
  /** Fraction for every metric without its own. */
  default: number;
  /** Fractions by metric name. */
  metrics: Record<string, number>;
}

export interface BaselineRow {
  metric: string;
  kind: MetricKind;
  direction: Direction;
  key: boolean;
  old: number | null;
  new: number | null;
  /** new − old; null when either is missing. */
  delta: number | null;
  /** delta / |old| (0.25 = 25% up); 0 when both are 0; null when either is missing or when old is 0 and new is not (`fromZero`). */
  relative: number | null;
  /** The old value was 0 and the new one is not: no relative change can be given. */
  fromZero?: boolean;
  tolerance: number;
  regressed: boolean;
  /** Better in the metric's direction by more than the tolerance. */
  improved: boolean;
}

export interface RunRef {
  file: string;
  scenario: string;
  startedAt: string;
  status: Results['status'];
  /** Set when the file was cut short and only its complete part was read. */
  partial?: boolean;
}

export interface BaselineComparison {
  format: typeof BASELINE_FORMAT;
  version: number;
  old: RunRef;
  new: RunRef;
  tolerance: Tolerances;
  rows: BaselineRow[];
  /** Metric names that regressed, in row order. */
  regressions: string[];
  warnings: string[];
}

/** Float noise (0.1 + 0.2) must not tip a change of exactly the tolerance over it. */
const EPSILON = 1e-9;

export function compareMetric(metric: string, old: number | null, now: number | null, tolerance: number, key = false): BaselineRow {
  const direction = directionOf(metric);
  const base = { metric, kind: metricKind(metric) ?? 'ratio', direction, key, old, new: now, tolerance };
  if (old === null || now === null) return { ...base, delta: null, relative: null, regressed: false, improved: false };
  const delta = now - old;
  const fromZero = old === 0 && now !== 0;
  const relative = old === 0 ? (now === 0 ? 0 : null) : delta / Math.abs(old);
  const beyond = fromZero || (relative !== null && Math.abs(relative) > tolerance + EPSILON);
  const worse = direction === 'lower-is-better' ? delta > 0 : direction === 'higher-is-better' ? delta < 0 : false;
  const better = direction === 'lower-is-better' ? delta < 0 : direction === 'higher-is-better' ? delta > 0 : false;
  return { ...base, delta, relative, ...(fromZero ? { fromZero } : {}), regressed: worse && beyond, improved: better && beyond };
}

/** The tolerance for `metric`: per metric beats global; the command line beats the scenario at the same level. */
export function toleranceFor(metric: string, cli: Partial<Tolerances>, scenario: BaselineSpec | undefined): number {
  return cli.metrics?.[metric] ?? scenario?.metrics?.[metric] ?? cli.default ?? scenario?.tolerance ?? DEFAULT_TOLERANCE;
}

const TOLERANCE_HINT = 'Write --tolerance 10% for every metric, or --tolerance "p99(connect)=20%" for one (repeatable).';

/** Parses the repeatable --tolerance flag: `10%` or `<metric>=<percent>`. Throws WSH_ERR_INVALID_INPUT. */
export function parseToleranceFlags(values: readonly string[]): Partial<Tolerances> {
  const out: Partial<Tolerances> & { metrics: Record<string, number> } = { metrics: {} };
  for (const raw of values) {
    const eq = raw.lastIndexOf('=');
    const metric = eq === -1 ? undefined : raw.slice(0, eq).trim();
    const parsed = parsePercent(eq === -1 ? raw : raw.slice(eq + 1));
    if (typeof parsed !== 'number') throw new WsherdError('WSH_ERR_INVALID_INPUT', `--tolerance ${raw}: ${parsed.error}.`, { hint: TOLERANCE_HINT });
    if (metric === undefined) {
      out.default = parsed;
    } else if (!isKnownMetric(metric)) {
      throw new WsherdError('WSH_ERR_INVALID_INPUT', `--tolerance ${raw}: unknown metric ${JSON.stringify(metric)}.`, {
        hint: 'Use a threshold metric name, e.g. p99(connect), errors.rate, backends.peak_to_average (docs/scenario.md#thresholds).',
      });
    } else {
      out.metrics[metric] = parsed;
    }
  }
  return out;
}

/**
 * The scenario's `baseline:` section as stored in a results file. Defensive: the file may come from an older
 * wsherd, or have been edited, so anything that is not the expected shape is ignored rather than trusted.
 */
export function baselineSpecOf(r: Results): BaselineSpec | undefined {
  const raw = (r.scenario as { baseline?: unknown }).baseline;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { tolerance, metrics } = raw as { tolerance?: unknown; metrics?: unknown };
  const spec: BaselineSpec = {};
  if (typeof tolerance === 'number' && tolerance >= 0) spec.tolerance = tolerance;
  if (typeof metrics === 'object' && metrics !== null) {
    const entries = Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] >= 0);
    if (entries.length > 0) spec.metrics = Object.fromEntries(entries);
  }
  return spec;
}

export interface CompareRunsOptions {
  oldFile: string;
  newFile: string;
  /** From --tolerance; overrides the new run's scenario. */
  tolerance?: Partial<Tolerances>;
  oldPartial?: boolean;
  newPartial?: boolean;
}

/** Compares `next` against `old` on the key metrics and every metric both have data for. */
export function compareToBaseline(old: Results, next: Results, opts: CompareRunsOptions): BaselineComparison {
  const cli = opts.tolerance ?? {};
  const spec = baselineSpecOf(next);
  const names = [...KEY_METRICS, ...METRIC_NAMES.filter((m) => !KEY_METRICS.includes(m))];
  const rows: BaselineRow[] = [];
  for (const metric of names) {
    const key = KEY_METRICS.includes(metric);
    const a = metricValue(old, metric);
    const b = metricValue(next, metric);
    if (!key && (a === null || b === null)) continue;
    rows.push(compareMetric(metric, a, b, toleranceFor(metric, cli, spec), key));
  }
  const metrics = { ...(spec?.metrics ?? {}), ...(cli.metrics ?? {}) };
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    old: refOf(old, opts.oldFile, opts.oldPartial),
    new: refOf(next, opts.newFile, opts.newPartial),
    tolerance: { default: cli.default ?? spec?.tolerance ?? DEFAULT_TOLERANCE, metrics },
    rows,
    regressions: rows.filter((r) => r.regressed).map((r) => r.metric),
    warnings: warningsOf(old, next, opts),
  };
}

function refOf(r: Results, file: string, partial: boolean | undefined): RunRef {
  return { file, scenario: r.scenario.name, startedAt: r.startedAt, status: r.status, ...(partial === true ? { partial } : {}) };
}

/** Comparisons that are allowed but may mislead: said once, above the table. */
function warningsOf(old: Results, next: Results, opts: CompareRunsOptions): string[] {
  const out: string[] = [];
  if (old.scenario.name !== next.scenario.name) {
    out.push(`The runs are of different scenarios ("${old.scenario.name}" and "${next.scenario.name}"): deltas may reflect the workload, not the target.`);
  } else if (old.scenario.clients !== next.scenario.clients) {
    out.push(`The runs had different client counts (${old.scenario.clients} and ${next.scenario.clients}): counts are not comparable.`);
  }
  for (const [label, r, partial] of [['baseline', old, opts.oldPartial], ['new', next, opts.newPartial]] as const) {
    if (partial === true) out.push(`The ${label} results file was cut short: only its complete part was compared.`);
    else if (r.status !== 'complete') out.push(`The ${label} run is ${r.status}${r.statusReason ? ` (${r.statusReason})` : ''}: its results are partial.`);
  }
  return out;
}
