/**
 * `wsherd compare` as a library call: the same workload against each approach of `scenario.compare`, one after
 * another, each on a fresh lab, each writing its own results; then one compare.json and compare.html side by side.
 * An abort stops the current approach (its partial results are written) and skips the rest, marked as such.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WsherdError } from '../errors.js';
import { defaultOutDir, prepareOutDir } from '../results/write.js';
import type { Results } from '../results/types.js';
import { runScenario } from '../run/run.js';
import { RunEvents } from '../run-events.js';
import type { CompareEntry, Scenario } from '../scenario/types.js';
import { renderCompareHtml } from './html.js';
import { saturationOf } from '../analysis/saturation.js';
import { diagnose } from '../analysis/diagnosis.js';
import { verdictOf } from '../report/verdict.js';
import { COMPARE_FORMAT, COMPARE_VERSION, type ApproachMetrics, type ApproachRow, type CompareResults } from './types.js';

export interface CompareOptions {
  scenario: Scenario;
  outDir?: string;
  insecure?: boolean;
  signal?: AbortSignal;
  /** A fresh event bus per approach (progress subscribers attach to it). */
  onApproach?: (entry: CompareEntry, index: number, events: RunEvents) => void;
  now?: () => Date;
}

export interface CompareOutcome {
  compare: CompareResults;
  outDir: string;
  files: { json: string; html: string };
  runs: Results[];
}

export async function runCompare(opts: CompareOptions): Promise<CompareOutcome> {
  const now = opts.now ?? (() => new Date());
  const { scenario } = opts;
  const entries = scenario.compare;
  if (entries === undefined || entries.length === 0 || scenario.lab === undefined) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Scenario "${scenario.name}" has no compare: list of approaches.`, {
      hint: 'Add compare: [round-robin, {strategy: cookie, mode: l7}] to a lab scenario (docs/scenario.md#compare), or use wsherd run.',
    });
  }
  const startedAt = now();
  const outDir = path.resolve(opts.outDir ?? scenario.out ?? defaultOutDir(`${scenario.name}-compare`, startedAt));
  await prepareOutDir(outDir);
  const rows: ApproachRow[] = [];
  const runs: Results[] = [];
  let status: CompareResults['status'] = 'complete';
  for (const [i, entry] of entries.entries()) {
    if (opts.signal?.aborted) {
      rows.push({ name: entry.name, proxy: proxyOf(entry), status: 'skipped', thresholdsPassed: 0, thresholdsFailed: 0, sentence: 'Not run: the comparison was aborted.' });
      continue;
    }
    const events = new RunEvents();
    opts.onApproach?.(entry, i, events);
    const dir = path.join(outDir, `${String(i + 1).padStart(2, '0')}-${entry.name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    await mkdir(dir, { recursive: true });
    const { compare: _compare, out: _out, ...base } = scenario;
    const { dns: _dns, orchestrator: _orch, approach: _approach, ...lab } = scenario.lab;
    const approachParts = { approach: entry.approach ?? 'proxy', ...(entry.dns === undefined ? {} : { dns: entry.dns }), ...(entry.orchestrator === undefined ? {} : { orchestrator: entry.orchestrator }) };
    const { reconnect: _reconnect, ...behavior } = base.behavior;
    // An entry's own reconnect policy (null: none) replaces the scenario's.
    const withReconnect = entry.reconnect === undefined ? base.behavior : entry.reconnect === null ? behavior : { ...behavior, reconnect: entry.reconnect };
    const one: Scenario = { ...base, behavior: withReconnect, name: `${scenario.name}-${entry.name}`.replace(/[^A-Za-z0-9._-]/g, '_'), lab: { ...lab, proxy: entry.proxy, ...approachParts } };
    const outcome = await runScenario({ scenario: one, outDir: dir, events, ...(opts.insecure === undefined ? {} : { insecure: opts.insecure }), ...(opts.signal ? { signal: opts.signal } : {}) });
    runs.push(outcome.results);
    rows.push(rowOf(entry, outcome.results, path.relative(outDir, outcome.files.results)));
    if (outcome.results.status !== 'complete') status = outcome.results.status;
  }
  const compare: CompareResults = {
    format: COMPARE_FORMAT,
    version: COMPARE_VERSION,
    scenario: scenario.name,
    startedAt: startedAt.toISOString(),
    endedAt: now().toISOString(),
    status,
    approaches: rows,
    best: bestOf(rows),
  };
  const json = path.join(outDir, 'compare.json');
  const html = path.join(outDir, 'compare.html');
  await writeFile(json, JSON.stringify(compare, null, 2) + '\n');
  await writeFile(html, renderCompareHtml(compare, runs));
  return { compare, outDir, files: { json, html }, runs };
}

function proxyOf(entry: CompareEntry): ApproachRow['proxy'] {
  return { strategy: entry.proxy.strategy, mode: entry.proxy.mode, ...(entry.proxy.options === undefined ? {} : { options: entry.proxy.options }) };
}

function faultMetrics(r: Results): Pick<ApproachMetrics, 'remap' | 'recoverySeconds' | 'stormPeak'> {
  const faults = r.analysis?.faults ?? [];
  if (faults.length === 0) return {};
  const losing = faults.filter((f) => f.action === 'kill' || f.action === 'stop');
  return {
    remap: faults.find((f) => f.remapFraction !== null)?.remapFraction ?? null,
    recoverySeconds: losing.length === 0 || losing.some((f) => f.secondsToRecover === null) ? null : Math.max(...losing.map((f) => f.secondsToRecover ?? 0)),
    stormPeak: Math.max(0, ...faults.map((f) => f.stormPeakPerSecond)),
  };
}

export function metricsOf(r: Results): ApproachMetrics {
  const s = r.summary.sessions;
  return {
    established: r.summary.counters.established,
    errors: r.summary.errors.total,
    errorsRate: r.summary.counters.attempted > 0 ? r.summary.errors.rate : null,
    connectP99: r.summary.latency.connect.count > 0 ? r.summary.latency.connect.p99 : null,
    peakToAverage: r.backends.skew?.peakToAverage ?? null,
    jain: r.backends.skew?.jain ?? null,
    lookupP99: r.summary.latency.lookup === undefined || r.summary.latency.lookup.count === 0 ? null : r.summary.latency.lookup.p99,
    ...faultMetrics(r),
    misrouteRate: s?.misrouteRate ?? null,
    brokenRate: s?.brokenRate ?? null,
    upgradeRate: s?.upgradeRate ?? null,
    affinityRate: s?.affinityRate ?? null,
  };
}

function rowOf(entry: CompareEntry, r: Results, results: string): ApproachRow {
  return rowOfResults(entry.name, proxyOf(entry), entry.approach ?? 'proxy', r, results);
}

/** One row from a run's results (also used by `wsherd report` with several results files). */
export function rowOfResults(name: string, proxy: ApproachRow['proxy'], approach: NonNullable<ApproachRow['approach']>, r: Results, results: string): ApproachRow {
  const passed = r.thresholds.filter((t) => t.pass).length;
  const d = diagnose(r);
  return {
    name,
    proxy,
    approach,
    status: r.status,
    ...(r.statusReason === undefined ? {} : { statusReason: r.statusReason }),
    results,
    thresholdsPassed: passed,
    thresholdsFailed: r.thresholds.length - passed,
    metrics: metricsOf(r),
    sentence: sentenceOf(r),
    verdict: verdictOf(r).label,
    inconclusive: saturationOf(r).saturated,
    diagnosis: { kind: d.kind, sentence: d.sentence },
  };
}

/** Stickiness when sessions were measured; otherwise errors and spread. */
function sentenceOf(r: Results): string {
  const prefix = r.status === 'complete' ? '' : `Run ${r.status}${r.statusReason ? ` (${r.statusReason})` : ''}, partial: `;
  if (r.summary.sessions !== undefined) return prefix + r.summary.sessions.verdict;
  const k = r.summary.counters;
  const skew = r.backends.skew;
  const spread = skew ? `; busiest backend ${skew.peakToAverage.toFixed(2)}× the average` : '';
  const faults = (r.analysis?.faults ?? []).map((f) => ` ${f.sentence}`).join('');
  // The population says why a backend was hot, when skew is the story (a NAT group, a /24).
  const pop = r.backends.population !== undefined && (skew?.peakToAverage ?? 1) > 1.1 ? ` ${r.backends.population.diagnosis}` : '';
  return `${prefix}${k.established.toLocaleString('en-US')} of ${k.attempted.toLocaleString('en-US')} connections established, error rate ${(r.summary.errors.rate * 100).toFixed(2)}%${spread}.${pop}${faults}`;
}

/** Lower is better for rates, latency and skew; higher for established, upgrade and affinity rates. */
const DIRECTION: Record<Exclude<keyof ApproachMetrics, 'errors'>, 'low' | 'high'> = {
  established: 'high', errorsRate: 'low', connectP99: 'low', peakToAverage: 'low', jain: 'high', lookupP99: 'low', remap: 'low', recoverySeconds: 'low', stormPeak: 'low', misrouteRate: 'low', brokenRate: 'low', upgradeRate: 'high', affinityRate: 'high',
};

/** A row may carry a best mark only when it completed, its generator was not saturated, and it failed less than it
 *  established: a 60% error rate is nobody's best, and a saturated generator measured itself. */
function eligible(row: ApproachRow): boolean {
  if (row.status !== 'complete' || row.inconclusive === true || row.metrics === undefined) return false;
  return (row.metrics.errors ?? 0) <= row.metrics.established;
}

export function bestOf(rows: readonly ApproachRow[]): CompareResults['best'] {
  const best: CompareResults['best'] = {};
  for (const key of Object.keys(DIRECTION) as (keyof typeof DIRECTION)[]) {
    // Every completed row with a value competes; only eligible ones can win (a saturated row's figure is not the
    // approach's, a 60% error rate is nobody's best).
    const values = rows.flatMap((row) => {
      const v = row.status === 'complete' ? row.metrics?.[key] : undefined;
      return v === null || v === undefined ? [] : [{ name: row.name, v, eligible: eligible(row) }];
    });
    const candidates = values.filter((x) => x.eligible);
    if (values.length < 2 || candidates.length === 0) continue;
    const top = DIRECTION[key] === 'low' ? Math.min(...candidates.map((x) => x.v)) : Math.max(...candidates.map((x) => x.v));
    const winners = candidates.filter((x) => x.v === top).map((x) => x.name);
    // Nothing to prefer when every row has that value.
    if (values.some((x) => x.v !== top)) best[key] = winners;
  }
  return best;
}
