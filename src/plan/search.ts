/**
 * Capacity search (`wsherd plan --search <scenario>`): run the scenario's workload at growing concurrency until a
 * stated SLO breaks, then narrow down between the last level that held and the first that broke. The answer is
 * the sustainable connections for the host it ran on, with the memory and fds per connection measured on the way
 * — the figures the sizing model then uses instead of rules of thumb.
 *
 * Every step is a whole run on a fresh lab (or against the target), bounded like any run, written to its own
 * folder; a run the user stops ends the search with what it found so far.
 */
import path from 'node:path';
import type { Results } from '../results/types.js';
import type { PhaseSegment, Scenario, ThresholdSpec } from '../scenario/types.js';
import { runScenario } from '../run/run.js';
import type { RunEvents } from '../run-events.js';
import { WsherdError } from '../errors.js';
import { Chalk } from 'chalk';
import { parseDuration } from '../scenario/duration.js';
import { table } from '../report/table.js';
import { fmtLimit, fmtMetric } from '../report/format.js';
import { loadScenario } from '../scenario/load.js';
import type { Env } from '../scenario/interpolate.js';

export interface Slo {
  /** p99 of the TCP connect, ms. */
  p99ConnectMs?: number;
  /** p99 of the message round trip, ms. */
  p99RttMs?: number;
  /** Failed + dropped over attempted, a fraction. */
  errorRate?: number;
}

export interface SearchOptions {
  scenario: Scenario;
  slo: Slo;
  /** First level; default 100. */
  start?: number;
  /** Highest level tried; default 20 × start. */
  max?: number;
  /** Growth between levels while they hold; default 2. */
  factor?: number;
  /** Stop narrowing once the bracket is within this fraction of the breaking level; default 0.1. */
  precision?: number;
  /** Ramp and hold of each step, ms; defaults 3 s and 5 s. */
  rampMs?: number;
  holdMs?: number;
  outDir: string;
  signal?: AbortSignal;
  /** Called as each step starts, with its events (progress), and when it ends. */
  onStep?: (connections: number, events: RunEvents | undefined, done?: SearchStep) => void;
  events?: () => RunEvents;
}

export interface SearchStep {
  connections: number;
  pass: boolean;
  /** Which SLO terms broke, e.g. `p99(connect) 62 ms > 50 ms`. */
  broke: string[];
  p99ConnectMs: number | null;
  p99RttMs: number | null;
  errorRate: number;
  established: number;
  results: string;
}

export interface SearchResult {
  steps: SearchStep[];
  /** The most connections that held the SLO; null when even the first level broke. */
  sustainable: number | null;
  /** The fewest that broke it; null when nothing broke up to `max`. */
  breaking: number | null;
  /** The results of the sustainable step, for calibration (memory and fds per connection). */
  sustainableResults?: Results;
  stopped?: string;
}

/** The SLO as thresholds, so each step's results carry the verdict the usual way. */
export function sloThresholds(slo: Slo, file = 'search'): ThresholdSpec[] {
  const at = { file, line: 0, col: 0 };
  const out: ThresholdSpec[] = [];
  if (slo.p99ConnectMs !== undefined) out.push({ source: `p99(connect) < ${slo.p99ConnectMs}ms`, metric: 'p99(connect)', op: '<', value: slo.p99ConnectMs, location: at });
  if (slo.p99RttMs !== undefined) out.push({ source: `p99(rtt) < ${slo.p99RttMs}ms`, metric: 'p99(rtt)', op: '<', value: slo.p99RttMs, location: at });
  if (slo.errorRate !== undefined) out.push({ source: `errors.rate < ${slo.errorRate}`, metric: 'errors.rate', op: '<', value: slo.errorRate, location: at });
  return out;
}

/** The scenario at `connections`: the same clients' behaviour, ramped to the level and held. */
export function stepScenario(base: Scenario, connections: number, slo: Slo, rampMs: number, holdMs: number): Scenario {
  const phases: PhaseSegment[] = [
    { kind: 'ramp_up', durationMs: rampMs, to: connections },
    { kind: 'hold', durationMs: holdMs, to: connections },
    { kind: 'ramp_down', durationMs: 1000, to: 0 },
  ];
  const { compare: _compare, out: _out, faults: _faults, workers: _workers, ...rest } = base;
  return { ...rest, name: `${base.name}-search-${connections}`, clients: connections, phases, thresholds: sloThresholds(slo, base.file) };
}

export async function searchCapacity(o: SearchOptions): Promise<SearchResult> {
  if (o.slo.p99ConnectMs === undefined && o.slo.p99RttMs === undefined && o.slo.errorRate === undefined) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', 'A capacity search needs an SLO to break.', { hint: 'Give --slo-p99-connect, --slo-p99-rtt or --slo-error-rate.' });
  }
  const start = Math.max(1, Math.floor(o.start ?? 100));
  const max = Math.max(start, Math.floor(o.max ?? start * 20));
  const factor = Math.max(1.1, o.factor ?? 2);
  const precision = o.precision ?? 0.1;
  const rampMs = o.rampMs ?? 3000;
  const holdMs = o.holdMs ?? 5000;
  const steps: SearchStep[] = [];
  const byLevel = new Map<number, Results>();
  let pass: number | null = null;
  let fail: number | null = null;

  const step = async (n: number): Promise<boolean | undefined> => {
    if (o.signal?.aborted) return undefined;
    const events = o.events?.();
    o.onStep?.(n, events);
    const outcome = await runScenario({
      scenario: stepScenario(o.scenario, n, o.slo, rampMs, holdMs),
      outDir: path.join(o.outDir, `step-${String(steps.length + 1).padStart(2, '0')}-${n}`),
      ...(events === undefined ? {} : { events }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
    const r = outcome.results;
    if (r.status === 'aborted') return undefined;
    const s: SearchStep = {
      connections: n,
      pass: r.status === 'complete' && r.thresholds.every((t) => t.pass),
      broke: r.thresholds.filter((t) => !t.pass).map((t) => `${t.metric} ${t.measured === null ? 'no data' : fmtMetric(t.metric, t.measured)}, SLO ${fmtLimit(t.metric, t.op, t.value)}`),
      p99ConnectMs: r.summary.latency.connect.count > 0 ? r.summary.latency.connect.p99 : null,
      p99RttMs: r.summary.latency.rtt.count > 0 ? r.summary.latency.rtt.p99 : null,
      errorRate: r.summary.errors.rate,
      established: r.summary.counters.established,
      results: outcome.files.results,
    };
    steps.push(s);
    byLevel.set(n, r);
    o.onStep?.(n, events, s);
    return s.pass;
  };

  // Grow geometrically while the SLO holds…
  for (let n = start; n <= max; n = Math.min(max, Math.ceil(n * factor))) {
    const ok = await step(n);
    if (ok === undefined) return finish('stopped');
    if (ok) pass = n;
    else {
      fail = n;
      break;
    }
    if (n === max) break;
  }
  // A first level that already broke: come down until one holds (a few steps at most).
  for (let n = Math.floor(start / factor), tries = 0; pass === null && fail !== null && n >= 1 && tries < 6; n = Math.floor(n / factor), tries++) {
    const ok = await step(n);
    if (ok === undefined) return finish('stopped');
    if (ok) pass = n;
    else fail = n;
  }
  // …then bisect the bracket until it is within `precision` of the breaking level.
  while (pass !== null && fail !== null && (fail - pass) / fail > precision) {
    const mid = Math.floor((pass + fail) / 2);
    if (mid === pass || mid === fail) break;
    const ok = await step(mid);
    if (ok === undefined) return finish('stopped');
    if (ok) pass = mid;
    else fail = mid;
  }
  return finish();

  function finish(stopped?: string): SearchResult {
    const results = pass === null ? undefined : byLevel.get(pass);
    return { steps, sustainable: pass, breaking: fail, ...(results === undefined ? {} : { sustainableResults: results }), ...(stopped === undefined ? {} : { stopped }) };
  }
}

/** Parses the search flags' SLO (`50ms`, `0.01` or `1%`); problems are thrown as one invalid-input error. */
export function sloFromFlags(f: { p99Connect?: string; p99Rtt?: string; errorRate?: string }): Slo {
  const problems: string[] = [];
  const ms = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const d = parseDuration(text);
    if ('error' in d || d.ms <= 0) {
      problems.push(`${flag} must be a duration such as 50ms, got "${text}"`);
      return undefined;
    }
    return d.ms;
  };
  const rate = (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const v = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
    if (!Number.isFinite(v) || v < 0 || v >= 1) {
      problems.push(`--slo-error-rate must be a fraction below 1 (0.01) or a percentage (1%), got "${text}"`);
      return undefined;
    }
    return v;
  };
  const slo: Slo = {};
  const c = ms('--slo-p99-connect', f.p99Connect);
  const r = ms('--slo-p99-rtt', f.p99Rtt);
  const e = rate(f.errorRate);
  if (c !== undefined) slo.p99ConnectMs = c;
  if (r !== undefined) slo.p99RttMs = r;
  if (e !== undefined) slo.errorRate = e;
  if (problems.length > 0) throw new WsherdError('WSH_ERR_INVALID_INPUT', problems.join('; '), { hint: 'e.g. --slo-p99-connect 50ms --slo-error-rate 1%' });
  return slo;
}

/** The search in the terminal: one row per step, then the answer. */
export function renderSearch(r: SearchResult, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const num = (n: number | null, unit = ''): string => (n === null ? '–' : `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })}${unit}`);
  const rows = [['connections', 'verdict', 'p99 connect', 'p99 rtt', 'errors', 'broke'].map((h) => c.dim(h))];
  for (const s of [...r.steps].sort((a, b) => a.connections - b.connections)) {
    rows.push([s.connections.toLocaleString('en-US'), s.pass ? c.green('holds') : c.red('breaks'), num(s.p99ConnectMs, ' ms'), num(s.p99RttMs, ' ms'), `${(s.errorRate * 100).toFixed(2)}%`, s.broke.join('; ')]);
  }
  const answer = r.sustainable === null
    ? c.red(`Even ${Math.min(...r.steps.map((s) => s.connections)).toLocaleString('en-US')} connections broke the SLO.`)
    : `Sustainable: ${c.bold(r.sustainable.toLocaleString('en-US'))} connections${r.breaking === null ? ' (nothing broke up to the search\'s maximum)' : `; ${r.breaking.toLocaleString('en-US')} broke the SLO`}.`;
  return [c.bold('Capacity search'), ...table(rows, ['r', 'l', 'r', 'r', 'r', 'l']), answer, ...(r.stopped === undefined ? [] : [c.yellow(`Stopped early (${r.stopped}): the answer covers the steps that ran.`)])].join('\n');
}

export interface SearchFileOptions {
  /** The scenario file whose workload is searched. */
  file: string;
  /** Variables for its `${NAME}` references (default process.env). */
  env?: Env;
  slo: { p99Connect?: string; p99Rtt?: string; errorRate?: string };
  start?: number;
  max?: number;
  /** Where each step's run goes; default wsherd-results/<name>-search. */
  outDir?: string;
  /** One line per step start and end, for a progress display. */
  progress?: (line: string) => void;
}

/**
 * `wsherd plan --search` as a library call: load the scenario, read the SLO, search, and let Ctrl-C (or SIGTERM)
 * end the step in progress — its partial results are written — and the search with what it found.
 */
export async function searchScenarioFile(o: SearchFileOptions): Promise<SearchResult> {
  const scenario = await loadScenario(o.file, o.env === undefined ? {} : { env: o.env });
  const slo = sloFromFlags(o.slo);
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => controller.abort(name);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await searchCapacity({
      scenario, slo, signal: controller.signal,
      outDir: path.resolve(o.outDir ?? `wsherd-results/${scenario.name}-search`),
      ...(o.start === undefined ? {} : { start: o.start }),
      ...(o.max === undefined ? {} : { max: o.max }),
      onStep: (n, _events, done) => o.progress?.(done === undefined
        ? `search: ${n.toLocaleString('en-US')} connections…`
        : `search: ${n.toLocaleString('en-US')} ${done.pass ? 'holds' : `breaks (${done.broke.join('; ')})`}`),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
