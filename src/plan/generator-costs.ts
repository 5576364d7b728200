/**
 * What the load generator (`wsherd run`: a coordinator and its worker processes) spends per connection, for the
 * generator tier of `wsherd plan`: bundled figures measured on wsherd's development box, or a run's own self-report
 * (results.json `generator` and `environment`, docs/results.md), which every run writes — lab or external target.
 */
import type { Results } from '../results/types.js';
import { WORKER_RSS_BYTES } from '../run/worker-budget.js';
import { MIN_CONNECTIONS, costOf } from './costs.js';
import type { Cost, GeneratorCosts, GeneratorShape } from './types.js';

const BOX = 'wsherd\'s 2-core development VM, 2026-12-07';

function ref(value: number, source: string): Cost {
  return { value, spread: 0, samples: 1, source: `reference (${source}), not your hosts` };
}

/**
 * Each default and where it is documented:
 * - memory per connection, 8,000 B: docs/scale.md, 200,000 idle connections held direct (13 workers, 16 source
 *   addresses), the generator tier's RSS growth per connection ("8.0 kB/conn Δ"). The largest real run measured, so
 *   the scale a plan is for; the generator bench's best case is lower (docs/engine.md: the whole tree 1,955 B per held
 *   connection at 10,000 after the idle-hold compaction, runs 1,461-3,623) and loads that send messages keep V8's
 *   own collection, so they hold more: calibrate with --results.
 * - fds per connection, 1: docs/scale.md, "the lean client holds one fd per connection" (the ws and dns engines;
 *   socket.io and engine.io sessions hold 2: calibrate from such a run).
 * - the coordinator before the first connection, 104 MB: docs/measurement.md, a target run's coordinator "103-104 MB
 *   before the run".
 * - one worker before its first connection, 75 MiB: src/run/worker-budget.ts's WORKER_RSS_BYTES, the figure `wsherd run`
 *   itself budgets workers by (docs/measurement.md says ~40-50 MB; a worker of `wsherd run scenarios/idle-8000.yaml`
 *   here, 2026-12-07, started at 75,079,680 B).
 * - CPU per 100 new connections/s, 0.0394 cores: docs/benchmarks.md, wsherd's "generator CPU-s to open and hold N"
 *   3.94 at 10,000 (median of 3, 2026-12-07): 394 µs of CPU per connection opened. The same runs opened 3,140/s on
 *   the 2 cores they shared with the bench's server.
 * - CPU per 1,000 messages/s, 0.022 cores: docs/measurement.md, 0.042-0.046 CPU-s per 1,000 echoes at 40 msg/s ×
 *   1,000 connections; an echo is a message each way, 2 as the plan counts messages (both directions).
 */
export const REFERENCE_GENERATOR_COSTS: Readonly<GeneratorCosts> = {
  origin: 'reference',
  label: `reference generator costs, not your hosts: wsherd run (lean ws client) on ${BOX} (docs/scale.md, docs/benchmarks.md, docs/measurement.md); calibrate with --results`,
  memoryPerConnection: ref(8000, `200,000 held, docs/scale.md, ${BOX}`),
  fdsPerConnection: ref(1, 'the lean ws client, docs/scale.md'),
  coordinatorIdleBytes: ref(104_000_000, 'a target run\'s coordinator, docs/measurement.md'),
  workerIdleBytes: ref(WORKER_RSS_BYTES, 'a worker\'s base RSS, src/run/worker-budget.ts'),
  cpuPer100NewConnections: ref(0.0394, `3.94 CPU-s to open 10,000, docs/benchmarks.md, ${BOX}`),
  cpuPer1000Messages: ref(0.022, 'CPU per 1,000 echoes at 40 msg/s × 1,000, docs/measurement.md'),
  notes: [],
};

export function referenceGeneratorCosts(): GeneratorCosts {
  return { ...REFERENCE_GENERATOR_COSTS, notes: [] };
}

/** Below this many messages a run's CPU per message is mostly its openings' CPU. */
const MIN_MESSAGES = 10_000;

const KEYS = ['memoryPerConnection', 'fdsPerConnection', 'coordinatorIdleBytes', 'workerIdleBytes', 'cpuPer100NewConnections', 'cpuPer1000Messages'] as const;
type Key = (typeof KEYS)[number];

/** The run's memory per held connection: the whole tree's (coordinator + workers), else the workers' own growth. */
function memorySample(r: Results): number | undefined {
  const tree = r.generator.tree;
  if (tree?.bytesPerConnection !== undefined && (tree.peakOpen ?? 0) >= MIN_CONNECTIONS) return tree.bytesPerConnection;
  const ws = r.generator.workers.filter((w) => w.startRssBytes !== undefined);
  if (ws.length === 0 || ws.length < r.generator.workers.length || r.summary.peakOpen < MIN_CONNECTIONS) return undefined;
  return ws.reduce((a, w) => a + w.maxRssBytes - (w.startRssBytes as number), 0) / r.summary.peakOpen;
}

/** The generator's costs from runs' self-reports; what no run measured stays the reference, said in `notes`. */
export function calibrateGenerator(runs: readonly Results[], names: readonly string[] = []): GeneratorCosts {
  const s: Partial<Record<Key, number[]>> = {};
  const add = (k: Key, v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v) && v >= 0) (s[k] ??= []).push(v);
  };
  runs.forEach((r) => {
    add('memoryPerConnection', memorySample(r));
    const maxFds = r.generator.workers.reduce((a, w) => a + w.maxFds, 0);
    if (r.summary.peakOpen >= MIN_CONNECTIONS && maxFds > 0) add('fdsPerConnection', maxFds / r.summary.peakOpen);
    add('coordinatorIdleBytes', r.generator.coordinator?.startRssBytes);
    for (const w of r.generator.workers) add('workerIdleBytes', w.startRssBytes);
    const cpuSeconds = r.generator.workers.reduce((a, w) => a + w.cpuMs, 0) / 1000;
    const attempted = r.summary.counters.attempted;
    const messages = r.summary.counters.messagesSent + r.summary.counters.messagesReceived;
    // An idle run's CPU is its openings' (and a hold that costs next to nothing): CPU-s per opening × 100 = cores per 100/s.
    if (messages === 0 && attempted >= MIN_CONNECTIONS) add('cpuPer100NewConnections', (cpuSeconds / attempted) * 100);
  });
  // CPU per message: what the openings did not spend (at the calibrated or reference cost per opening), per message.
  const measured = s.cpuPer100NewConnections;
  const perNew = measured !== undefined ? costOf(measured, '').value : REFERENCE_GENERATOR_COSTS.cpuPer100NewConnections.value;
  for (const r of runs) {
    const messages = r.summary.counters.messagesSent + r.summary.counters.messagesReceived;
    if (messages < MIN_MESSAGES) continue;
    const cpuSeconds = r.generator.workers.reduce((a, w) => a + w.cpuMs, 0) / 1000;
    const forMessages = cpuSeconds - (r.summary.counters.attempted * perNew) / 100;
    if (forMessages > 0) add('cpuPer1000Messages', forMessages / (messages / 1000));
  }
  const source = names.length === 1 ? (names[0] as string) : `${runs.length} runs`;
  const notes: string[] = [];
  const pick = (k: Key, what: string): Cost => {
    const xs = s[k];
    if (xs !== undefined && xs.length > 0) return costOf(xs, source);
    notes.push(`generator ${what}: no run measured it; using the reference (not your hosts).`);
    return REFERENCE_GENERATOR_COSTS[k];
  };
  return {
    origin: 'calibrated',
    label: `generator costs calibrated from ${names.length > 0 ? names.join(', ') : source} (results.json generator: workers' cpuMs and RSS, the tree's bytes per connection)`,
    memoryPerConnection: pick('memoryPerConnection', `memory per connection (needs generator.tree or workers' startRssBytes, and ${MIN_CONNECTIONS} held)`),
    fdsPerConnection: pick('fdsPerConnection', `fds per connection (needs ${MIN_CONNECTIONS} held)`),
    coordinatorIdleBytes: pick('coordinatorIdleBytes', 'coordinator memory before the run (needs generator.coordinator)'),
    workerIdleBytes: pick('workerIdleBytes', 'worker memory before the first connection (needs workers\' startRssBytes)'),
    cpuPer100NewConnections: pick('cpuPer100NewConnections', `CPU per 100 new connections/s (needs a run without messages and ${MIN_CONNECTIONS} attempts)`),
    cpuPer1000Messages: pick('cpuPer1000Messages', `CPU per 1,000 messages/s (needs a run with ${MIN_MESSAGES.toLocaleString('en-US')} messages)`),
    notes,
  };
}

/** Whether any of the costs came from a run (calibrateGenerator keeps the reference's own objects for the rest). */
export function measuredAny(c: GeneratorCosts): boolean {
  return KEYS.some((k) => c[k] !== REFERENCE_GENERATOR_COSTS[k]);
}

/** The machine a run's generator ran on, as a generator host shape: what the plan assumes unless told otherwise. */
export function generatorHostOf(r: Results): Partial<GeneratorShape> {
  const e = r.environment;
  const out: Partial<GeneratorShape> = {};
  if (e.cpus > 0) out.cores = e.cpus;
  if (e.memTotalBytes > 0) out.ramBytes = e.memTotalBytes;
  if (e.fdLimit > 0) out.fds = e.fdLimit;
  if (Array.isArray(e.portRange) && e.portRange[1] >= e.portRange[0]) out.portRange = [e.portRange[0], e.portRange[1]];
  return out;
}
