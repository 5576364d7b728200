/**
 * Scale on one box (issue 17, goal 5): many idle connections held from wsherd's generator to wsherd's reference
 * backends — (a) directly, no proxy (the lab's DNS approach: every backend on its own loopback address, clients pick
 * an address at random), and (b) through the reference proxy in cluster mode — with the run's own figures beside an
 * oracle from /proc, and what each tier cost and what bounded it.
 *
 *   npm run bench -- scale   (options: --clients 200000 --backends 14 --sources 16 --workers 0 --rate 2000
 *                             --hold 60 --proxy-clients 100000 --proxy-backends 8 --proxy-workers 16
 *                             --proxy-sources 8 --proxy-client-sources 8 --proxy-gen-workers 0
 *                             --only idle|proxy --json FILE --keep; workers 0: see defaultWorkers;
 *                             --keep leaves each run's output directory, results.json and report)
 *
 * Each case is one `wsherd run` of a written scenario, in its own process group: the bench kills the whole group when
 * the run ends, when it overruns its deadline (the phases plus 3 minutes) and on SIGINT/SIGTERM, so nothing is left.
 * While it runs the bench samples the run's process tree from /proc every second (bench/scale-sampler.ts); once the
 * backends' fd count has stopped moving at the hold (2 s) it counts the ESTABLISHED sockets the backends hold on their
 * listening ports (the kernel's socket table over netlink, `ss`): that count must equal the run's peak open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fdsOf, kernelLimits } from './proc.js';
import { establishedToBackends, processesByTier, sample, TIERS, type Sample, type SeenPids, type Tier } from './scale-sampler.js';
import { boundsOf, describeCase } from './scale-report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

export interface ScaleCase {
  name: 'idle' | 'proxy';
  clients: number;
  backends: number;
  /** Client source addresses (population). */
  sources: number;
  /** Generator workers (always written in the scenario: see defaultWorkers). */
  workers: number;
  /** Connections opened per second during the ramp. */
  rate: number;
  holdS: number;
  proxyWorkers?: number;
  /** The proxy's upstream source addresses. */
  proxySources?: number;
}

/** `steady`: the backends' fd count was the same before and after the /proc read (else it was taken while moving). */
export interface Oracle { atMs: number; established: number; ports: number[]; sample: Sample; steady: boolean }

export interface CaseResult {
  case: ScaleCase;
  exit: number | null;
  timedOut: boolean;
  wallS: number;
  run: { workers: number; peakOpen: number; established: number; failed: number; dropped: number; errors: number; errorsByCode: Record<string, number>; openRate: { mean: number; max: number } } | undefined;
  oracle: Oracle | undefined;
  /** First sample with every process of a tier up: the tier's RSS and CPU before (most of) its connections. */
  baseline: Partial<Record<Tier, { atMs: number; rss: number; cpuS: number; fds: number }>>;
  samples: Sample[];
  /** Every process of the run, by tier (the bench's cleanup leaves none of them running). */
  pids: Record<Tier, number[]>;
  output: string;
}

/**
 * Generator workers when --workers is 0: what wsherd's own pre-flight asks of an explicit count — 15,800 clients per
 * worker (80% of 20,000 fds less 200; one fd per client for the ws and dns engines, both on the lean client) — at
 * least 2.
 */
export function defaultWorkers(clients: number, fdLimit = 20000): number {
  const perWorker = Math.max(1, Math.floor(fdLimit * 0.8) - 200);
  return Math.max(2, Math.ceil(clients / perWorker));
}

export function scenarioYaml(c: ScaleCase): string {
  const rampS = Math.ceil(c.clients / c.rate);
  const lab = c.name === 'idle'
    ? `lab:\n  approach: dns\n  backends: {count: ${c.backends}}\n`
    : `lab:\n  backends: {count: ${c.backends}}\n  proxy: {strategy: round-robin, mode: l4, workers: ${c.proxyWorkers ?? 1}` +
      `${(c.proxySources ?? 0) > 0 ? `, sources: "127.0.0.2-127.0.0.${1 + (c.proxySources ?? 0)}", source_ports: named` : ''}}\n`;
  // Idle: clients connect and hold; dns: one cached answer per group, a random address of it per client, so the
  // clients spread over the backends instead of a whole group landing on the answer's first address.
  return `name: scale-${c.name}\n${lab}clients: ${c.clients}\nworkers: ${c.workers}\npopulation: {addresses: ${c.sources}}\n` +
    `phases:\n  - ramp_up: ${rampS}s\n  - hold: ${c.holdS}s\n  - ramp_down: ${rampDownS(c)}s\n` +
    // source_ports: named on both sides: the kernel's search for a free port on bind(addr, 0) grows with what is held
    // and stopped both cases short (120,000–140,000 direct, 56,773 through the proxy; docs/scale.md).
    `behavior:\n  messages_per_second: 0\n  source_ports: named\n${c.name === 'idle' ? '  dns: {pick: random}\n' : ''}`;
}

/** Closing at half the opening rate: 200,000 closed in 5 s asked the box for 40,000 closes/s on 2 cores. */
export function rampDownS(c: Pick<ScaleCase, 'clients' | 'rate'>): number {
  return Math.max(5, Math.ceil(c.clients / c.rate / 2));
}

const running = new Set<ChildProcess>();
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
const onSignal = (): void => {
  for (const c of running) killGroup(c);
  process.exit(130);
};

export async function runCase(c: ScaleCase, dir: string): Promise<CaseResult> {
  const file = path.join(dir, `scale-${c.name}.yaml`);
  const out = path.join(dir, `out-${c.name}`);
  writeFileSync(file, scenarioYaml(c));
  const t0 = Date.now();
  const deadlineMs = (Math.ceil(c.clients / c.rate) + c.holdS + rampDownS(c) + 180) * 1000;
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'run', file, '--out', out, '--quiet', '--accept-saturated'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  const samples: Sample[] = [];
  const baseline: CaseResult['baseline'] = {};
  const expected: Record<Tier, number> = { generator: 1 + c.workers, backends: c.backends, proxy: c.name === 'proxy' ? 1 + (c.proxyWorkers ?? 1) : 0, dns: c.name === 'idle' ? 1 : 0, other: 0 };
  let oracle: Oracle | undefined;
  let flat = 0;
  let timedOut = false;
  const closed = once(child, 'close');
  const root = child.pid as number;
  const seen: SeenPids = { generator: new Set(), backends: new Set(), proxy: new Set(), dns: new Set(), other: new Set() };
  const timer = setInterval(() => {
    const s = sample(root, t0, seen);
    samples.push(s);
    for (const t of TIERS) {
      if (baseline[t] === undefined && expected[t] > 0 && s.tiers[t].processes >= expected[t]) baseline[t] = { atMs: s.atMs, rss: s.tiers[t].rss, cpuS: s.tiers[t].cpuS, fds: s.tiers[t].fds };
    }
    const prev = samples[samples.length - 2];
    const fds = s.tiers.backends.fds;
    // Connections open: the backends' fds above their count once they were all up (listeners, pipes, stdio).
    const opened = baseline.backends === undefined ? 0 : fds - baseline.backends.fds;
    flat = prev !== undefined && fds === prev.tiers.backends.fds && opened >= Math.max(1, c.clients / 100) ? flat + 1 : 0;
    // Settled for 2 s with more open than at the last count (or the last count was taken while it moved): count
    // again — the hold, or a ramp that stopped short. A hold shortened by a generator behind its schedule leaves
    // little time, so it does not wait longer.
    if (flat >= 2 && (oracle === undefined || !oracle.steady || fds > oracle.sample.tiers.backends.fds)) {
      const pids = processesByTier(root).backends;
      const o = establishedToBackends(pids);
      const after = pids.reduce((t, p) => t + fdsOf(p), 0);
      const steady = after === fds;
      if (oracle === undefined || steady || !oracle.steady) oracle = { atMs: Date.now() - t0, ...o, sample: s, steady };
    }
    // Progress on stderr every 10 s: a 200k case runs for minutes.
    if (samples.length % 10 === 0) {
      process.stderr.write(`[scale ${c.name}] t=${(s.atMs / 1000).toFixed(0)} s: backends hold ~${Math.max(0, fds - (baseline.backends?.fds ?? fds))} ` +
        `(fds), RSS generator ${(s.tiers.generator.rss / 1048576).toFixed(0)} MiB, backends ${(s.tiers.backends.rss / 1048576).toFixed(0)} MiB` +
        `${c.name === 'proxy' ? `, proxy ${(s.tiers.proxy.rss / 1048576).toFixed(0)} MiB` : ''}${oracle === undefined ? '' : `; oracle ${oracle.established}`}\n`);
    }
    if (Date.now() - t0 > deadlineMs) {
      timedOut = true;
      killGroup(child);
    }
  }, 1000);
  try {
    const [code] = (await closed) as [number | null];
    const run = readRun(out);
    return { case: c, exit: code, timedOut, wallS: (Date.now() - t0) / 1000, run, oracle, baseline, samples,
      pids: Object.fromEntries(TIERS.map((t) => [t, [...seen[t]]])) as Record<Tier, number[]>, output };
  } finally {
    clearInterval(timer);
    // The run's own cleanup stops its lab; whatever a crash left behind in its group goes now.
    killGroup(child);
    running.delete(child);
  }
}

function readRun(out: string): CaseResult['run'] {
  try {
    const r = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as {
      generator?: { workers?: unknown[] };
      summary: { peakOpen: number; counters: { established: number; failed: number; dropped: number }; errors: { total: number; byCode: Record<string, number> }; openRate: { mean: number; max: number } };
    };
    const s = r.summary;
    return { workers: r.generator?.workers?.length ?? 0, peakOpen: s.peakOpen, established: s.counters.established, failed: s.counters.failed, dropped: s.counters.dropped, errors: s.errors.total, errorsByCode: s.errors.byCode, openRate: s.openRate };
  } catch {
    return undefined;
  }
}

export async function benchScale(argv: string[]): Promise<string> {
  const arg = (name: string, def: number): number => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : def;
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a whole number ≥ 0, got ${argv[i + 1]}`);
    return v;
  };
  const at = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = at('only');
  if (only !== undefined && only !== 'idle' && only !== 'proxy') throw new Error(`--only must be idle or proxy, got ${only}`);
  const rate = arg('rate', 2000);
  const holdS = arg('hold', 60);
  const cases: ScaleCase[] = [];
  const clients = arg('clients', 200000);
  const proxyClients = arg('proxy-clients', 100000);
  if (only !== 'proxy') cases.push({ name: 'idle', clients, backends: arg('backends', 14), sources: arg('sources', 16), workers: arg('workers', 0) || defaultWorkers(clients), rate, holdS });
  if (only !== 'idle') {
    cases.push({ name: 'proxy', clients: proxyClients, backends: arg('proxy-backends', 8), sources: arg('proxy-client-sources', 8), workers: arg('proxy-gen-workers', 0) || defaultWorkers(proxyClients), rate, holdS,
      proxyWorkers: arg('proxy-workers', 16), proxySources: arg('proxy-sources', 8) });
  }
  const json = at('json') ?? path.join(ROOT, 'bench', 'results', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const limits = kernelLimits();
  const lines = ['kernel and process limits:', ...Object.entries(limits).map(([k, v]) => `  ${k} = ${v}`)];
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-bench-scale-'));
  const results: CaseResult[] = [];
  try {
    for (const c of cases) {
      const r = await runCase(c, dir);
      results.push(r);
      const text = ['', ...describeCase(r, limits), ...boundsOf(r, limits).map((b) => `  bound: ${b}`)];
      process.stderr.write(`${text.join('\n')}\n`);
      lines.push(...text);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // --keep: leave the runs' scenarios and output directories (results.json, the report) for a closer look.
    if (argv.includes('--keep')) process.stderr.write(`kept: ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(path.dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify({ bench: 'scale', at: new Date().toISOString(), limits, cases: results.map((r) => ({ ...r, bounds: boundsOf(r, limits) })) }, null, 2)}\n`);
  lines.push('', `saved: ${json}`);
  return lines.join('\n');
}
