/**
 * "A shard adds no measurable cost to the run" (issue 18), measured: the same small run through the CLI, with and
 * without `--shard 0/1`, alternating, against one plain `ws` echo server (bench/flows-app.ts: the oracle ws app in
 * its own process). Per run: the workers' CPU (results.generator.workers[].cpuMs), the coordinator's peak RSS (VmHWM
 * at its exit, bench/hwm-preload.ts), and how long `run` took from its load's end (results.endedAt, taken right before
 * the analysis) to its last output file (results.json, then index.html: their mtimes) and to its exit.
 */
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/bench/merge-cost.js. */
const ROOT = path.resolve(HERE, '../..');

export interface CostOptions {
  clients: number;
  /** Messages per client per second. */
  rate: number;
  /** The hold after the ramp, s. */
  seconds: number;
  workers: number;
  /** Runs of each kind. */
  runs: number;
}

export interface CostRun {
  sharded: boolean;
  exit: number | null;
  established: number;
  workerCpuMs: number;
  coordinatorHwmBytes: number;
  /** Load end → last output file written, ms. */
  writeMs: number;
  /** Load end → process exit, ms. */
  exitMs: number;
  resultsBytes: number;
  /** The CLI's output when it wrote no results. */
  output?: string;
}

async function startEcho(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = fork(path.join(HERE, 'flows-app.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [msg] = (await once(child, 'message')) as [{ port: number }];
  return {
    url: `ws://127.0.0.1:${msg.port}/`,
    stop: async () => {
      child.disconnect();
      await once(child, 'exit').catch(() => {});
    },
  };
}

function scenarioYaml(url: string, o: CostOptions): string {
  const ramp = Math.max(1, Math.ceil(o.clients / 1000));
  return `name: bench-shard-cost\ntarget: ${url}\nclients: ${o.clients}\nworkers: ${o.workers}\nphases:\n  - ramp_up: ${ramp}s\n  - hold: ${o.seconds}s\nbehavior:\n  messages_per_second: ${o.rate}\n  payload_bytes: 64\n`;
}

type Json = Record<string, unknown>;

async function runOnce(dir: string, file: string, sharded: boolean, n: number): Promise<CostRun> {
  const out = path.join(dir, `cost-${sharded ? 'shard' : 'plain'}-${n}`);
  const hwmFile = path.join(dir, `hwm-${sharded ? 'shard' : 'plain'}-${n}`);
  const preload = pathToFileURL(path.join(HERE, 'hwm-preload.js')).href;
  const argv = ['--import', preload, path.join(ROOT, 'bin/run.js'), 'run', file, '--out', out, '--quiet', '--accept-saturated', ...(sharded ? ['--shard', '0/1'] : [])];
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WSHERD_BENCH_HWM_FILE: hwmFile } });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const exitAt = Date.now();
  const resultsFile = path.join(out, 'results.json');
  let r: Json;
  try {
    r = JSON.parse(readFileSync(resultsFile, 'utf8')) as Json;
  } catch {
    return { sharded, exit: code, established: NaN, workerCpuMs: NaN, coordinatorHwmBytes: NaN, writeMs: NaN, exitMs: NaN, resultsBytes: NaN, output: output.trim().slice(0, 600) };
  }
  const endedAt = Date.parse(String(r['endedAt']));
  const lastFile = Math.max(statSync(resultsFile).mtimeMs, statSync(path.join(out, 'index.html')).mtimeMs);
  const workers = ((r['generator'] as Json | undefined)?.['workers'] as Json[] | undefined) ?? [];
  const counters = ((r['summary'] as Json | undefined)?.['counters'] as Json | undefined) ?? {};
  let hwm = NaN;
  try {
    hwm = Number(readFileSync(hwmFile, 'utf8'));
  } catch {
    // The preload wrote nothing: no figure rather than a wrong one.
  }
  return {
    sharded, exit: code, established: Number(counters['established']),
    workerCpuMs: workers.reduce((t, w) => t + (typeof w['cpuMs'] === 'number' ? w['cpuMs'] : 0), 0),
    coordinatorHwmBytes: hwm, writeMs: lastFile - endedAt, exitMs: exitAt - endedAt, resultsBytes: statSync(resultsFile).size,
  };
}

/** Plain, sharded, plain, sharded, …: `o.runs` of each, one echo server for all. */
export async function measureShardCost(dir: string, o: CostOptions): Promise<CostRun[]> {
  const echo = await startEcho();
  try {
    const file = path.join(dir, 'shard-cost.yaml');
    writeFileSync(file, scenarioYaml(echo.url, o));
    const runs: CostRun[] = [];
    for (let n = 1; n <= o.runs; n++) {
      for (const sharded of [false, true]) {
        const t0 = Date.now();
        runs.push(await runOnce(dir, file, sharded, n));
        process.stderr.write(`  shard cost run ${n}/${o.runs} ${sharded ? '--shard 0/1' : 'unsharded'}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      }
    }
    return runs;
  } finally {
    await echo.stop();
  }
}
