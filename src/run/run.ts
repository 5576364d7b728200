/**
 * `wsherd run` as a library call: scenario → lab (or external target) → load → results → files.
 * It never prints: progress and the summary are subscribers of `events`. Whatever happens after the output
 * folder is checked — an abort, a lab that dies, a worker that crashes — results are still written, marked.
 */
import os from 'node:os';
import path from 'node:path';
import type { Scenario } from '../scenario/types.js';
import type { Lab } from '../lab/types.js';
import type { Results, RunStatus } from '../results/types.js';
import { RunEvents } from '../run-events.js';
import { runLoad } from '../load/coordinator.js';
import { Aggregator } from '../metrics/aggregate.js';
import type { GeneratorMemory, WorkerInfo } from '../metrics/types.js';
import { defaultOutDir, prepareOutDir } from '../results/write.js';
import { writeRunFiles } from '../report/run-files.js';
import { WsherdError, isWsherdError } from '../errors.js';
import { analyze } from '../analysis/analyze.js';
import { describeEnvironment } from './environment.js';
import { checkBudget } from './preflight.js';
import { fdLimit, portRange, twReuse } from '../probes/proc.js';
import { startProbeSampler, type ProbeSampler } from '../probes/sampler.js';
import { engineFor } from '../scenario/approach.js';
import { scheduleFaults, type FaultTimeline } from './faults.js';
import { shardClients, shardScenario, type ShardSpec } from '../shard/spec.js';
import { shardGate, type GateRecord, type RunSync } from './shard-start.js';
import type { ShardInfo } from '../results/shard-types.js';
import type { LabStats, ProxyStats } from '../results/lab-types.js';
import type { ProbeSeries } from '../results/observed.js';

export interface RunOptions {
  scenario: Scenario;
  /** Output folder; default: the scenario's `out`, else wsherd-results/<name>-<timestamp>. */
  outDir?: string;
  /** Overrides the scenario's worker count. */
  workers?: number;
  /** Accept self-signed certificates on wss:// targets. */
  insecure?: boolean;
  events?: RunEvents;
  /** Abort the run (Ctrl-C): its reason (e.g. 'SIGINT') is recorded in the results. */
  signal?: AbortSignal;
  /** The clock, injectable for tests. */
  now?: () => Date;
  /** A sharded run: this host runs shard `index` of `count` of the scenario (src/shard/spec.ts, docs/sharding.md). */
  shard?: ShardSpec;
  /** The run's name, the same on every shard, so `merge` can refuse shards of different runs. */
  runId?: string;
  /** When second 0 begins: at an agreed instant (--start-at, epoch ms), or once every shard joined a barrier. */
  sync?: RunSync;
}

export interface RunOutcome {
  results: Results;
  outDir: string;
  files: { results: string; html: string };
}

export async function runScenario(opts: RunOptions): Promise<RunOutcome> {
  const now = opts.now ?? (() => new Date());
  const whole = withApproachEngine(opts.workers === undefined ? opts.scenario : { ...opts.scenario, workers: opts.workers });
  // A shard runs its part (its faults only on shard 0); results.json keeps the whole scenario, which merge compares.
  const scenario = opts.shard === undefined ? whole : shardScenario(whole, opts.shard, whole.file ?? whole.name);
  const events = opts.events ?? new RunEvents();
  // Before anything opens a socket: a scenario that does not fit the generator would measure wsherd, not the target.
  const hostClients = opts.shard === undefined ? scenario.clients : shardClients(scenario.clients, opts.shard);
  checkBudget({ ...scenario, clients: hostClients }, { fdLimit: fdLimit(), portRange: portRange(), twReuse: twReuse() });
  const startedAt = now();
  const outDir = path.resolve(opts.outDir ?? scenario.out ?? defaultOutDir(scenario.name, startedAt));
  // Before the first socket opens: a run whose results cannot be written is not worth starting.
  await prepareOutDir(outDir);

  const stop = new AbortController();
  const onAbort = (): void => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let lab: Lab | undefined;
  let labStats: LabStats | undefined;
  let labFailure: string | undefined;
  let aggregator = new Aggregator();
  let workers: WorkerInfo[] = [];
  let memory: GeneratorMemory | undefined;
  let status: RunStatus = 'complete';
  let statusReason: string | undefined;
  let proxyIdle: { fds: number; fdLimit: number } | undefined;
  let sampler: ProbeSampler | undefined;
  let probes: ProbeSeries | undefined;
  let loadOrigin: number | undefined;
  let faults: FaultTimeline | undefined;
  const gate = opts.shard === undefined && opts.sync === undefined ? undefined : shardGate(opts, stop.signal);
  try {
    let urls: string[];
    if (scenario.lab) {
      // Imported when a lab runs (it pulls in the proxy's and the backends' modules): a target run never pays for them.
      const { startLab } = await import('../lab/start.js');
      lab = await startLab(scenario.lab, { signal: stop.signal });
      sampler = await startProbeSampler({ components: lab.components, ports: lab.components.map((c) => c.port) });
      // The proxy's fds before any client: the baseline of its fd-cliff prediction.
      proxyIdle = relayingFds((await lab.stats().catch(() => undefined))?.proxy);
      events.emit('lab', lab.components);
      urls = lab.entryUrls;
      if (scenario.faults !== undefined) faults = scheduleFaults(lab, scenario.faults, events, stop.signal);
      void lab.died.then((reason) => {
        labFailure = reason;
        stop.abort('lab');
      });
    } else if (scenario.target) {
      urls = [scenario.target.url];
      // Against a target only the client side can be seen: the generator's own sockets towards it, by state.
      sampler = await startProbeSampler({ components: [], ports: [targetPort(scenario.target.url)] });
    } else {
      throw new WsherdError('WSH_ERR_INVALID_INPUT', 'The scenario has neither `lab` nor `target`.');
    }
    const outcome = await runLoad({
      urls,
      ...(lab?.dnsServer === undefined ? {} : { dnsServer: lab.dnsServer }),
      scenario,
      insecure: opts.insecure ?? false,
      ...(lab?.ca === undefined ? {} : { ca: lab.ca }),
      signal: stop.signal,
      events,
      ...(opts.shard === undefined ? {} : { shard: opts.shard }),
      ...(gate === undefined ? {} : { startGate: gate.startGate }),
    });
    aggregator = outcome.aggregator;
    loadOrigin = outcome.startedAt.getTime();
    workers = outcome.workers;
    memory = outcome.memory;
    ({ status, statusReason } = finalStatus(outcome.status, outcome.reason, stop.signal, labFailure));
    if (lab && labFailure === undefined) labStats = await lab.stats().catch(() => undefined);
  } catch (err) {
    // Invalid input found late (e.g. an unknown strategy in the lab) is not a run: report it as such.
    if (isWsherdError(err) && err.exitCode === 2) throw err;
    ({ status, statusReason } = stop.signal.aborted && labFailure === undefined
      ? { status: 'aborted' as const, statusReason: abortReason(stop.signal) }
      : { status: 'failed' as const, statusReason: failureReason(err, labFailure) });
    if (!isWsherdError(err) && !stop.signal.aborted) throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    // Before lab.stop(): the teardown's closing sockets are not part of the run.
    probes = sampler?.stop(loadOrigin);
    faults?.cancel();
    await lab?.stop();
  }

  const results = analyze({
    scenario: whole,
    status,
    ...(statusReason === undefined ? {} : { statusReason }),
    startedAt,
    endedAt: now(),
    environment: describeEnvironment(workers.length),
    target: { kind: scenario.lab ? 'lab' : 'external', url: lab?.entryUrl ?? scenario.target?.url ?? '' },
    aggregator,
    workers,
    ...(memory === undefined ? {} : { memory }),
    ...(lab === undefined ? {} : { lab: { components: lab.components, ...(labStats ? { stats: labStats } : {}) } }),
    ...(probes === undefined ? {} : { probes }),
    ...(faults === undefined ? {} : { faults: faults.outcomes() }),
    ...(proxyIdle === undefined || proxyIdle.fds < 0 || proxyIdle.fdLimit <= 0 ? {} : { proxyIdle: { fds: proxyIdle.fds, fdLimit: proxyIdle.fdLimit } }),
    ...(opts.shard === undefined ? {} : { shard: shardInfo(opts, hostClients, loadOrigin ?? startedAt.getTime(), gate?.record()) }),
  });
  const files = await writeRunFiles(outDir, results);
  events.emit('done', results);
  return { results, outDir, files };
}

function finalStatus(
  loadStatus: RunStatus,
  loadReason: string | undefined,
  signal: AbortSignal,
  labFailure: string | undefined,
): { status: RunStatus; statusReason: string | undefined } {
  if (labFailure !== undefined) return { status: 'failed', statusReason: `lab: ${labFailure}` };
  if (loadStatus === 'aborted' || signal.aborted) return { status: 'aborted', statusReason: abortReason(signal) };
  return { status: loadStatus, statusReason: loadReason };
}

/** `lab: …` reasons map to the lab's exit code (see exit.ts); the rest are the generator's. */
function failureReason(err: unknown, labFailure: string | undefined): string {
  if (labFailure !== undefined) return `lab: ${labFailure}`;
  const message = err instanceof Error ? err.message : String(err);
  if (isWsherdError(err) && (err.code === 'WSH_ERR_LAB_START' || err.code === 'WSH_ERR_LAB_DIED')) return `lab: ${message}`;
  return message;
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return typeof r === 'string' ? `stopped by ${r}` : 'stopped';
}

function shardInfo(opts: RunOptions, clients: number, loadStartMs: number, gate: GateRecord | undefined): ShardInfo {
  const shard = opts.shard as ShardSpec;
  return {
    index: shard.index,
    count: shard.count,
    ...(opts.runId === undefined ? {} : { runId: opts.runId }),
    host: os.hostname(),
    loadStartMs,
    sync: gate?.sync ?? { kind: 'none' },
    ...(gate?.clockOffsetMs === undefined ? {} : { clockOffsetMs: gate.clockOffsetMs }),
    ...(gate?.clockUncertaintyMs === undefined ? {} : { clockUncertaintyMs: gate.clockUncertaintyMs }),
    clients,
  };
}

/** The engine follows from the lab's approach: a dns lab's clients resolve, an orchestrator lab's clients ask first. */
function withApproachEngine(scenario: Scenario): Scenario {
  const engine = engineFor(scenario.lab?.approach, scenario.behavior.engine ?? 'ws');
  return engine === (scenario.behavior.engine ?? 'ws') ? scenario : { ...scenario, behavior: { ...scenario.behavior, engine } };
}

function targetPort(url: string): number {
  const u = new URL(url);
  return u.port !== '' ? Number(u.port) : u.protocol === 'wss:' || u.protocol === 'https:' ? 443 : 80;
}

/**
 * The fds and fd limit of the processes that relay clients: the proxy itself, or with workers only the workers
 * (the primary holds no client socket, so its limit would overstate the cliff).
 */
function relayingFds(proxy: ProxyStats | undefined): { fds: number; fdLimit: number } | undefined {
  if (proxy === undefined) return undefined;
  const ws = proxy.workers;
  if (ws === undefined || ws.length === 0) return proxy.process;
  return { fds: ws.reduce((n, w) => n + w.fds, 0), fdLimit: ws.reduce((n, w) => n + w.fdLimit, 0) };
}
