/**
 * The one analysis entry: results.json from what a run produced (the merged metrics, the workers' facts, the lab's
 * own counts), every derived figure (skew, cliffs, sessions, flow, forensics, faults, thresholds) computed here.
 * Pure: no I/O, so `run` and a merge of shards (issue 18) call the same function on their raw data.
 */
import type { Scenario } from '../scenario/types.js';
import type { Aggregator } from '../metrics/aggregate.js';
import type { GeneratorMemory, WorkerInfo } from '../metrics/types.js';
import type { LabComponent, LabStats } from '../results/lab-types.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type BackendResult, type Environment, type Results, type RunStatus } from '../results/types.js';
import { backendIds, skewStats } from './skew.js';
import { evaluateThresholds } from './thresholds.js';
import { summarizeSessions } from './sessions.js';
import { flowHistograms, summarizeFlow } from './flow.js';
import { findCliff, proxyFdPrediction, withPorts } from './cliff.js';
import { findPortCliff } from './port-cliff.js';
import type { FaultRecord, ProbeSeries } from '../results/observed.js';
import { attributeFailures } from './forensics.js';
import { CANCELLED_CODE, generatorFailures, saturationOf } from './saturation.js';
import { populationResult } from './population.js';
import { analyzeFaults } from './faults.js';
import { plannedDurationMs, targetAt } from '../load/schedule.js';
import { redactScenario, redactUrl } from '../results/redact.js';
import type { MergeInfo, ShardInfo } from '../results/shard-types.js';

export interface RawRun {
  scenario: Scenario;
  status: RunStatus;
  statusReason?: string;
  startedAt: Date;
  endedAt: Date;
  environment: Environment;
  target: Results['target'];
  aggregator: Aggregator;
  workers: WorkerInfo[];
  /** The coordinator's and the whole tree's memory (absent when the load never ran). */
  memory?: GeneratorMemory;
  lab?: { components: LabComponent[]; stats?: LabStats };
  /** The lab proxy's fds and fd limit before the first client (all its processes), for the fd-cliff prediction. */
  proxyIdle?: { fds: number; fdLimit: number };
  /** Lab runs: what the probe sampler recorded during the load. */
  probes?: ProbeSeries;
  /** The scenario's faults as applied. */
  faults?: FaultRecord[];
  /** A shard of a run: its thresholds are judged on the merge, not here; its raw metrics go into the results. */
  shard?: ShardInfo;
  /** A merge of shards: the shards, what is missing, their start spread. */
  merge?: MergeInfo;
}

export function analyze(raw: RawRun): Results {
  const agg = raw.aggregator;
  const counters = agg.totals();
  const errorsTotal = counters.failed + counters.dropped;
  const sessions = agg.sessionCounts();
  const samples = agg.errorSamples();
  const byCode = agg.errorsByCode();
  const generator = generatorFailures(byCode);
  const targetAttempts = counters.attempted - (byCode[CANCELLED_CODE] ?? 0);
  const flow = agg.flow();
  const results: Results = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    status: raw.status,
    ...(raw.statusReason === undefined ? {} : { statusReason: raw.statusReason }),
    startedAt: raw.startedAt.toISOString(),
    endedAt: raw.endedAt.toISOString(),
    durationMs: raw.endedAt.getTime() - raw.startedAt.getTime(),
    // results.json is shared (CI artifacts, reports): credential header values stay out of it.
    scenario: redactScenario(raw.scenario),
    environment: raw.environment,
    target: { ...raw.target, url: redactUrl(raw.target.url) },
    summary: {
      counters,
      peakOpen: agg.peakOpen(),
      openRate: agg.openRate(),
      errors: {
        total: errorsTotal,
        rate: counters.attempted === 0 ? 0 : errorsTotal / counters.attempted,
        byCode,
        ...(Object.keys(samples).length === 0 ? {} : { samples }),
        generator,
        targetRate: targetAttempts <= 0 ? 0 : (errorsTotal - generator) / targetAttempts,
      },
      latency: agg.latency(),
      ...(sessions === undefined ? {} : { sessions: summarizeSessions(sessions) }),
      ...(flow === undefined ? {} : { flow: summarizeFlow(flow) }),
    },
    histograms: agg.encodedHistograms(),
    ...(flow === undefined ? {} : { flowHistograms: flowHistograms(flow) }),
    backends: backendsSection(agg.backendCounts(), raw.lab, raw.scenario.target?.backends),
    series: agg.series(),
    thresholds: [],
    generator: { workers: raw.workers, ...(raw.memory ?? {}) },
    ...(raw.lab === undefined ? {} : { lab: raw.lab }),
    ...(raw.probes === undefined ? {} : { probes: raw.probes }),
    ...(raw.faults === undefined ? {} : { faults: raw.faults }),
  };
  const population = raw.scenario.population;
  if (population !== undefined) results.backends.population = populationResult(population, raw.scenario.clients, agg.groupBackends(), results.backends.perBackend);
  if (raw.lab !== undefined) {
    const prediction = raw.proxyIdle === undefined ? undefined : proxyFdPrediction(raw.proxyIdle.fdLimit, raw.proxyIdle.fds);
    let cliff = findCliff(results.series, prediction);
    const backendAddrs = raw.lab.stats?.proxy?.backends.map((b) => `${b.host}:${b.port}`) ?? [];
    const ports = raw.probes === undefined ? undefined : findPortCliff(raw.scenario, raw.probes, backendAddrs, cliff.atSecond);
    if (ports !== undefined) cliff = withPorts(cliff, ports, proxyOutOfPorts(raw.lab.stats));
    results.analysis = { cliff };
  }
  if (raw.faults !== undefined && raw.faults.length > 0) {
    const backends = raw.scenario.lab?.backends.count ?? 0;
    const b = raw.scenario.behavior;
    const cycle = b.lifetimeMs === undefined ? 0 : Math.ceil((b.lifetimeMs + (b.thinkTimeMs ?? 0)) / 1000);
    const phases = raw.scenario.phases;
    const planDropAfter = (at: number): number | undefined => {
      // The open gauge is sampled at the end of each second: compare the plan's level there.
      const end = plannedDurationMs(phases);
      const level = targetAt(phases, Math.min(end - 1, at * 1000 + 999));
      for (let s = at; s * 1000 < end; s++) if (targetAt(phases, Math.min(end - 1, s * 1000 + 999)) < level - 0.5) return s;
      return Math.ceil(end / 1000);
    };
    results.analysis = { ...results.analysis, faults: analyzeFaults(raw.faults, results.series, backends, cycle, planDropAfter) };
  }
  if (errorsTotal > 0) results.analysis = { ...results.analysis, forensics: attributeFailures(results) };
  const saturation = saturationOf(results);
  const cliffNow = results.analysis?.cliff;
  if (saturation.saturated && cliffNow !== undefined) {
    // A saturated generator measured itself: whatever it saw is no cliff of the target's.
    results.analysis = { ...results.analysis, cliff: { ...cliffNow, diagnosis: `Not a measured cliff: the generator was saturated (${saturation.reasons.join('; ')}). ${cliffNow.diagnosis}` } };
  }
  // A shard holds a part of the clients: a threshold on its figures alone would judge a part as the whole.
  results.thresholds = raw.shard === undefined ? evaluateThresholds(results, raw.scenario.thresholds) : [];
  if (raw.shard !== undefined) results.shard = raw.shard;
  if (raw.merge !== undefined) results.merge = raw.merge;
  if (raw.shard !== undefined) results.raw = agg.raw();
  return results;
}

/** True when the proxy counted upstream connects that failed for lack of a local port. */
function proxyOutOfPorts(stats: LabStats | undefined): boolean {
  const e = stats?.proxy?.errors ?? {};
  return (e['upstream_connect_EADDRNOTAVAIL'] ?? 0) + (e['upstream_connect_EADDRINUSE'] ?? 0) > 0;
}

/**
 * Per-backend shares over attributed connections. Backends the lab knows (its backend components and their stats)
 * or the target declares (`target.backends`) but that got no connection still appear (with 0): a backend starved
 * by a strategy is exactly what skew statistics must show.
 */
function backendsSection(counts: Record<string, number>, lab: RawRun['lab'], declared: string[] | number | undefined): Results['backends'] {
  const labStats = lab?.stats;
  const unattributed = counts['unknown'] ?? 0;
  const known = [...(labStats?.backends ?? []).map((b) => b.id), ...(lab?.components ?? []).filter((c) => c.kind === 'backend').map((c) => c.id)];
  const sorted = backendIds(Object.keys(counts), declared, known);
  const total = sorted.reduce((sum, id) => sum + (counts[id] ?? 0), 0);
  const perBackend: BackendResult[] = sorted.map((id) => {
    const seen = labStats?.backends.find((b) => b.id === id)?.sessionsTotal;
    return {
      id,
      connections: counts[id] ?? 0,
      share: total === 0 ? 0 : (counts[id] ?? 0) / total,
      ...(seen === undefined ? {} : { sessionsSeenByBackend: seen }),
    };
  });
  return { perBackend, unattributed, skew: skewStats(perBackend.map((b) => b.connections)) };
}
