/**
 * `npm run bench -- merge`: issue 18's performance goal — "merging 64 shard results of a 10-minute run takes < 5 s and
 * < 500 MB; a shard adds no measurable cost to the run" — measured on this host.
 *
 *   npm run bench -- merge [--shards 64] [--seconds 600] [--ramp 60] [--workers 2] [--clients 1000] [--rate 1] [--runs 3]
 *       [--jobs 2] [--dir DIR [--reuse]] [--no-library] [--no-cost] [--cost-clients 2000] [--cost-rate 2]
 *       [--cost-seconds 20] [--cost-workers 2] [--cost-runs 3] [--profile DIR] [--json FILE]
 *
 * 1. The shards: --shards results.json files of one run, each built as `run --shard i/N` builds it — its workers' real
 *    Recorders flushed each second into an Aggregator, `analyze` with a shard section, written by src/results/write.ts
 *    (bench/merge-sim.ts: the sockets are simulated, nothing else), by --jobs child processes.
 * 2. The merge: `mergeShards` over them (read, check, merge, analyze, results.json and the HTML report) in a child
 *    process of its own (bench/merge-child.ts), its time and its peak RSS (VmHWM), median of --runs, against the goals.
 *    Its peer in the same run: the same merge with the library's decode + add per part for the per-second histograms
 *    (what src/metrics/aggregate.ts did before src/metrics/hdr-sparse.ts), alternating with it.
 * 3. The shard's cost to a run: what the shard section costs shard 0's 10-minute run after its load (analyse + write,
 *    without and with it), and the same small CLI run with and without `--shard 0/1` (bench/merge-cost.ts).
 *
 * Everything goes to a temp folder removed at the end, or to --dir (kept; --reuse merges the shards already there when
 * they are of the same shape). Figures and medians are saved as JSON (--json, default bench/results/merge-<time>.json).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ShardShape } from './merge-sim.js';
import { measureShardCost, type CostOptions, type CostRun } from './merge-cost.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/bench/merge.js. */
const ROOT = path.resolve(HERE, '../..');

/** Issue 18's goals for merging 64 shards of a 10-minute run. */
const GOAL_MS = 5_000;
const GOAL_BYTES = 500e6;

interface Options {
  shape: ShardShape;
  runs: number;
  jobs: number;
  dir?: string;
  reuse: boolean;
  library: boolean;
  cost?: CostOptions;
  profile?: string;
  json: string;
}

function parse(argv: string[]): Options {
  const val = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const n = (name: string, def: number): number => {
    const s = val(name);
    const v = s === undefined ? def : Number(s);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive whole number, got ${s}`);
    return v;
  };
  const shape: ShardShape = { shards: n('shards', 64), workers: n('workers', 2), clientsPerWorker: n('clients', 1000), seconds: n('seconds', 600), rampS: n('ramp', 60), rate: n('rate', 1) };
  if (shape.rampS >= shape.seconds) throw new Error(`--ramp ${shape.rampS} must be shorter than --seconds ${shape.seconds}`);
  const dir = val('dir');
  const profile = val('profile');
  return {
    shape, runs: n('runs', 3), jobs: n('jobs', 2), reuse: argv.includes('--reuse'), library: !argv.includes('--no-library'),
    ...(dir === undefined ? {} : { dir: path.resolve(dir) }),
    ...(profile === undefined ? {} : { profile: path.resolve(profile) }),
    ...(argv.includes('--no-cost') ? {} : { cost: { clients: n('cost-clients', 2000), rate: n('cost-rate', 2), seconds: n('cost-seconds', 20), workers: n('cost-workers', 2), runs: n('cost-runs', 3) } }),
    json: val('json') ?? path.join(ROOT, 'bench', 'results', `merge-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
}

interface ShardLine { index: number; file: string; established: number; ms: number }
interface EndCost { plainMs: number; shardMs: number; plainBytes: number; shardBytes: number }
interface Shards { shape: ShardShape; shards: ShardLine[]; endCost?: EndCost; generateMs: number }

/** Runs a bench child (`node [flags] dist/bench/<script> <json>`), its stdout's JSON lines and its wall time. */
async function child(script: string, arg: unknown, nodeFlags: string[] = []): Promise<{ lines: Record<string, unknown>[]; wallMs: number }> {
  const t0 = performance.now();
  const p = spawn(process.execPath, [...nodeFlags, path.join(HERE, script), JSON.stringify(arg)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(p, 'exit')) as [number | null];
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`${script} exited ${code}: ${err.trim().slice(-800)}`);
  return { lines: out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>), wallMs };
}

/** The shards of `o.shape` in `dir`: reused (--reuse, same shape) or written by `o.jobs` children at once. */
async function shardsIn(dir: string, o: Options): Promise<Shards> {
  const manifest = path.join(dir, 'shards.json');
  if (o.reuse && existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as Shards;
    if (JSON.stringify(m.shape) === JSON.stringify(o.shape) && m.shards.every((s) => existsSync(s.file))) return m;
  }
  const t0 = performance.now();
  const jobs = Math.min(o.jobs, o.shape.shards);
  const parts = await Promise.all(Array.from({ length: jobs }, (_, k) => child('merge-gen.js', {
    shape: o.shape, dir, indexes: Array.from({ length: o.shape.shards }, (_, i) => i).filter((i) => i % jobs === k), endCost: k === 0,
  })));
  const lines = parts.flatMap((p) => p.lines);
  const endCost = lines.find((l) => l['endCost'] !== undefined)?.['endCost'] as EndCost | undefined;
  const shards: Shards = {
    shape: o.shape, generateMs: performance.now() - t0, ...(endCost === undefined ? {} : { endCost }),
    shards: (lines.filter((l) => l['index'] !== undefined) as unknown as ShardLine[]).sort((a, b) => a.index - b.index),
  };
  writeFileSync(manifest, `${JSON.stringify(shards, null, 2)}\n`);
  return shards;
}

interface MergeRun { path: 'sparse' | 'library'; mergeMs: number; cpuMs: number; wallMs: number; hwmBytes: number; established: number; rttCount: number; seconds: number; status: string }

async function mergeOnce(files: string[], outDir: string, which: MergeRun['path'], profile: string | undefined): Promise<MergeRun> {
  rmSync(outDir, { recursive: true, force: true });
  const flags = profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profile];
  const { lines, wallMs } = await child('merge-child.js', { inputs: files, outDir, path: which }, flags);
  return { path: which, wallMs, ...(lines[0] as Omit<MergeRun, 'path' | 'wallMs'>) };
}

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const row = (label: string, cells: string[], tail = ''): string => `  ${label.padEnd(36)}${cells.map((c) => c.padStart(14)).join('')}${tail}`;
const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

function mergeLines(o: Options, sparse: MergeRun[], library: MergeRun[]): { lines: string[]; medians: Record<string, number> } {
  const lines: string[] = [];
  const m = {
    mergeMs: median(sparse.map((r) => r.mergeMs)), cpuMs: median(sparse.map((r) => r.cpuMs)), wallMs: median(sparse.map((r) => r.wallMs)), hwmBytes: median(sparse.map((r) => r.hwmBytes)),
    libMergeMs: median(library.map((r) => r.mergeMs)), libCpuMs: median(library.map((r) => r.cpuMs)), libWallMs: median(library.map((r) => r.wallMs)), libHwmBytes: median(library.map((r) => r.hwmBytes)),
  };
  const runCells = (rs: MergeRun[], f: (r: MergeRun) => string): string[] => Array.from({ length: o.runs }, (_, i) => (rs[i] === undefined ? 'n/a' : f(rs[i] as MergeRun)));
  lines.push(row('', [...Array.from({ length: o.runs }, (_, i) => `run ${i + 1}`), 'median']));
  lines.push(row('merge (mergeShards), sparse', [...runCells(sparse, (r) => sec(r.mergeMs)), sec(m.mergeMs)], `   goal < ${sec(GOAL_MS)}: ${pass(m.mergeMs < GOAL_MS)}`));
  lines.push(row('  its CPU (user + system)', [...runCells(sparse, (r) => sec(r.cpuMs)), sec(m.cpuMs)]));
  lines.push(row('peak RSS (VmHWM), sparse', [...runCells(sparse, (r) => mb(r.hwmBytes)), mb(m.hwmBytes)], `   goal < ${mb(GOAL_BYTES)}: ${pass(m.hwmBytes < GOAL_BYTES)}`));
  lines.push(row('process wall (start, imports, exit)', [...runCells(sparse, (r) => sec(r.wallMs)), sec(m.wallMs)]));
  if (o.library) {
    lines.push(row('merge, library decode+add', [...runCells(library, (r) => sec(r.mergeMs)), sec(m.libMergeMs)]));
    lines.push(row('  its CPU (user + system)', [...runCells(library, (r) => sec(r.cpuMs)), sec(m.libCpuMs)]));
    lines.push(row('peak RSS, library decode+add', [...runCells(library, (r) => mb(r.hwmBytes)), mb(m.libHwmBytes)]));
    lines.push(`  library / sparse: merge time ${(m.libMergeMs / m.mergeMs).toFixed(2)}x, CPU ${(m.libCpuMs / m.cpuMs).toFixed(2)}x, peak RSS ${(m.libHwmBytes / m.hwmBytes).toFixed(2)}x`);
  }
  return { lines, medians: m };
}

function costLines(runs: CostRun[], end: EndCost | undefined, o: Options): { lines: string[]; medians: Record<string, number> } {
  const lines: string[] = [];
  const medians: Record<string, number> = {};
  if (end !== undefined) {
    lines.push(`a shard's cost after its load, shard 0 of the ${o.shape.seconds} s run (${o.shape.workers} workers; analyse + results.json + report):`);
    lines.push(`  without the shard section ${sec(end.plainMs)} (results.json ${mb(end.plainBytes)}), with it ${sec(end.shardMs)} (${mb(end.shardBytes)}): +${sec(end.shardMs - end.plainMs)}, ${(end.shardMs / end.plainMs).toFixed(2)}x`);
  }
  if (runs.length === 0 || o.cost === undefined) return { lines, medians };
  const c = o.cost;
  lines.push(`a shard's cost to a run: ${c.clients} clients × ${c.rate} msg/s, ${c.seconds} s hold, ${c.workers} workers, against a local ws echo server; ${c.runs} runs each, alternating`);
  lines.push(row('', ['unsharded', '--shard 0/1', 'ratio']) + '   unsharded runs');
  const metrics: Array<[string, keyof CostRun, (x: number) => string]> = [
    ['worker CPU-s (sum of cpuMs)', 'workerCpuMs', (x) => (x / 1000).toFixed(2)],
    ['coordinator peak RSS (VmHWM)', 'coordinatorHwmBytes', mb],
    ['load end → results written', 'writeMs', (x) => `${x.toFixed(0)} ms`],
    ['load end → process exit', 'exitMs', (x) => `${x.toFixed(0)} ms`],
    ['results.json size', 'resultsBytes', (x) => `${(x / 1e3).toFixed(0)} kB`],
  ];
  for (const [label, key, f] of metrics) {
    const plain = runs.filter((r) => !r.sharded).map((r) => r[key] as number);
    const shard = runs.filter((r) => r.sharded).map((r) => r[key] as number);
    const p = median(plain);
    const s = median(shard);
    const fin = plain.filter(Number.isFinite);
    medians[`plain.${key}`] = p;
    medians[`shard.${key}`] = s;
    const range = fin.length === 0 ? 'n/a' : `${f(Math.min(...fin))} to ${f(Math.max(...fin))}`;
    lines.push(`${row(label, [f(p), f(s), `${(s / p).toFixed(2)}x`])}   ${range}`);
  }
  const established = runs.map((r) => r.established);
  lines.push(`  established per run: ${established.join(', ')}; exits: ${runs.map((r) => r.exit).join(', ')}`);
  for (const r of runs) if (r.output !== undefined) lines.push(`  (${r.sharded ? 'sharded' : 'unsharded'} run wrote no results: ${r.output})`);
  return { lines, medians };
}

export async function benchMerge(argv: string[]): Promise<string> {
  const o = parse(argv);
  const dir = o.dir ?? mkdtempSync(path.join(tmpdir(), 'wsherd-bench-merge-'));
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  try {
    process.stderr.write(`writing ${o.shape.shards} shards into ${dir} (${o.jobs} processes)…\n`);
    const shards = await shardsIn(dir, o);
    const files = shards.shards.map((s) => s.file);
    const bytes = files.reduce((t, f) => t + statSync(f).size, 0);
    const s = o.shape;
    lines.push(`merge bench: ${s.shards} shards × ${s.workers} workers × ${s.clientsPerWorker.toLocaleString('en-US')} clients, ${s.seconds} s (${s.rampS} s ramp), ${s.rate} msg/s per client; median of ${o.runs}`);
    // A shared host's other load stretches wall times (not CPU times): said beside them.
    lines.push(`host: ${availableParallelism()} cpus, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} before the merges`);
    lines.push(`shard files: ${files.length}, total ${mb(bytes)} (${mb(bytes / files.length)} each), written in ${sec(shards.generateMs)}`);
    const sparse: MergeRun[] = [];
    const library: MergeRun[] = [];
    for (let run = 1; run <= o.runs; run++) {
      process.stderr.write(`merge run ${run}/${o.runs}\n`);
      sparse.push(await mergeOnce(files, path.join(dir, 'merged'), 'sparse', run === 1 ? o.profile : undefined));
      if (o.library) library.push(await mergeOnce(files, path.join(dir, 'merged-library'), 'library', undefined));
    }
    const sum = shards.shards.reduce((t, x) => t + x.established, 0);
    const merged = sparse[0] as MergeRun;
    lines.push(`merged: ${merged.seconds} s of series, status ${merged.status}; established ${merged.established.toLocaleString('en-US')}, the shards' sum ${sum.toLocaleString('en-US')}: ${merged.established === sum ? 'equal' : 'DIFFERENT'}; ${merged.rttCount.toLocaleString('en-US')} round trips`);
    if (o.library && library[0] !== undefined && (library[0].established !== merged.established || library[0].rttCount !== merged.rttCount)) {
      lines.push('  the library path merged other totals: DIFFERENT');
    }
    const ml = mergeLines(o, sparse, library);
    lines.push(...ml.lines);
    if (o.profile !== undefined) lines.push(`  CPU profile of the first sparse merge: ${o.profile}`);
    const costRuns = o.cost === undefined ? [] : await measureShardCost(dir, o.cost);
    const cl = costLines(costRuns, shards.endCost, o);
    lines.push(...cl.lines);
    const record = {
      bench: 'merge', at: new Date().toISOString(), options: { ...o, json: undefined }, shardsBytes: bytes, generateMs: shards.generateMs,
      established: { merged: merged.established, shardsSum: sum }, goals: { ms: GOAL_MS, bytes: GOAL_BYTES },
      medians: { ...ml.medians, ...cl.medians }, sparse, library, endCost: shards.endCost, costRuns,
    };
    mkdirSync(path.dirname(o.json), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify(record, null, 2)}\n`);
    lines.push(`saved: ${o.json}`);
    return lines.join('\n');
  } finally {
    if (o.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
