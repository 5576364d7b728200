/**
 * One shard's results.json for the merge bench (bench/merge.ts), produced the way `wsherd run --shard i/N` produces
 * it: each of the shard's workers fills a real Recorder (src/metrics/recorder.ts) second by second and flushes a
 * SecondBucket, the buckets go into an Aggregator, and `analyze` builds the results with a `shard` section (and so
 * the `raw` section the merge adds up), written by src/results/write.ts. Only the sockets are simulated: what a worker
 * would have measured is drawn from a seeded generator, so every run of the bench merges the same files.
 *
 * A worker's 600 s: a linear ramp of its clients over the first `rampS` seconds (connect and handshake samples, each
 * attributed to one of 8 backends), then every open client sends `rate` messages a second (an rtt and an
 * rtt_corrected sample each: a lognormal body around 1.5 ms, 1 % ×5-50, 0.05 % of 0.1-2 s stalls); now and then a
 * refused attempt or a dropped connection that reopens in the same second.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScenario } from '../src/scenario/index.js';
import type { Scenario } from '../src/scenario/types.js';
import { Aggregator } from '../src/metrics/aggregate.js';
import { Recorder } from '../src/metrics/recorder.js';
import type { WorkerInfo } from '../src/metrics/types.js';
import { analyze, type RawRun } from '../src/analysis/analyze.js';
import { writeRunFiles } from '../src/report/run-files.js';
import { describeEnvironment } from '../src/run/environment.js';
import type { ShardInfo } from '../src/results/shard-types.js';
import { prepareOutDir, writeResults } from '../src/results/write.js';
import { mulberry32 } from '../src/load/population.js';

export interface ShardShape {
  /** Shards in the run (N of --shard i/N). */
  shards: number;
  workers: number;
  /** Clients per worker. */
  clientsPerWorker: number;
  seconds: number;
  rampS: number;
  /** Messages per client per second. */
  rate: number;
}

const BACKENDS = 8;
/** Every shard's second 0 near this instant (2026-12-07T20:00:00Z), a few ms apart, as after a barrier. */
const EPOCH_MS = Date.UTC(2026, 11, 7, 20, 0, 0);

/** Seeded draws: the population's mulberry32 (src/load/population.ts), good enough for latency draws. */
const rng = mulberry32;

/** A standard normal draw (Box-Muller; one of the pair). */
function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** A round trip, µs: lognormal body (median ~1.5 ms), a 1 % tail ×5-50, and rare 0.1-2 s stalls. */
function rttMicros(r: () => number): number {
  const body = 300 + 1200 * Math.exp(0.5 * normal(r));
  const u = r();
  if (u < 0.0005) return 100_000 + r() * 1_900_000;
  if (u < 0.0105) return body * (5 + r() * 45);
  return body;
}

/** The whole run's scenario: the same text on every shard, so the merge's check sees one scenario. */
export function benchScenario(shape: ShardShape): Scenario {
  const clients = shape.shards * shape.workers * shape.clientsPerWorker;
  const yaml = `name: bench-merge
target: ws://127.0.0.1:9/
clients: ${clients}
workers: ${shape.workers}
phases:
  - ramp_up: ${shape.rampS}s
  - hold: ${shape.seconds - shape.rampS}s
behavior:
  messages_per_second: ${shape.rate}
  payload_bytes: 64
`;
  return parseScenario(yaml, 'bench-merge.yaml');
}

/** Worker `w` of shard `index`: its buckets into `agg`, its facts returned. */
function simulateWorker(shape: ShardShape, index: number, w: number, agg: Aggregator): WorkerInfo {
  const g = index + shape.shards * w;
  const r = rng(0x5eed + g * 7919);
  let now = 0;
  const rec = new Recorder(() => now);
  const clients = shape.clientsPerWorker;
  let open = 0;
  let opened = 0;
  let maxLag = 0;
  const perBackend = new Array<number>(BACKENDS).fill(0);
  const openOne = (): void => {
    rec.count('attempted');
    rec.record('connect', 150 + 800 * Math.exp(0.6 * normal(r)));
    rec.record('handshake', 600 + 2500 * Math.exp(0.6 * normal(r)));
    const b = (g + opened++) % BACKENDS;
    perBackend[b] = (perBackend[b] ?? 0) + 1;
    rec.backendOpened(`b${b}`);
    open++;
    rec.count('established');
  };
  for (let t = 0; t < shape.seconds; t++) {
    // The ramp: the worker's clients open evenly over rampS seconds, each at its moment in the second.
    const due = Math.min(clients, Math.round((clients * (t + 1)) / shape.rampS)) - Math.min(clients, Math.round((clients * t) / shape.rampS));
    for (let k = 0; k < due; k++) {
      now = t * 1000 + ((k + r()) * 1000) / due;
      openOne();
    }
    if (r() < 0.05) {
      now = t * 1000 + r() * 1000;
      rec.count('attempted');
      rec.count('failed');
      if (r() < 0.5) rec.error('ECONNRESET', 'read ECONNRESET');
      else rec.error('http_503', '503 text/html: <html><body><h1>503 Service Unavailable</h1>');
    }
    if (open > 0 && r() < 0.02) {
      // A dropped connection, reopened within the second (its slot reconnects).
      const n = 1 + Math.floor(r() * 3);
      for (let k = 0; k < n && open > 0; k++) {
        now = t * 1000 + r() * 900;
        const b = (g + k) % BACKENDS;
        if ((perBackend[b] ?? 0) > 0) perBackend[b] = (perBackend[b] ?? 0) - 1;
        open--;
        rec.error('close_1006', 'closed without a close frame');
        rec.count('dropped');
        rec.rehome('moved');
        now += 50;
        openOne();
      }
    }
    const sends = Math.round(open * shape.rate * (0.95 + 0.1 * r()));
    for (let k = 0; k < sends; k++) {
      const rtt = rttMicros(r);
      rec.record('rtt', rtt);
      rec.record('rtt_corrected', rtt + 200 * r());
    }
    rec.count('messagesSent', sends);
    rec.count('messagesReceived', sends);
    rec.count('bytesSent', sends * 70);
    rec.count('bytesReceived', sends * 66);
    const lag = r() < 0.01 ? 120 + Math.floor(r() * 100) : 1 + Math.floor(r() * 30);
    maxLag = Math.max(maxLag, lag);
    now = t * 1000 + 999;
    const backendsOpen = Object.fromEntries(perBackend.map((n, b) => [`b${b}`, n]));
    agg.add(rec.flush(t, { open, backendsOpen, lagMaxMs: lag, fds: open + 21 }));
  }
  return {
    id: w, pid: 10_000 + g, fdLimit: 20_000, clients, maxFds: clients + 21, maxLagMs: maxLag,
    cpuMs: Math.round(shape.seconds * 180 * (0.9 + 0.2 * r())), maxRssBytes: 160e6 + clients * 6_000, startRssBytes: 70e6, exit: 'ok',
  };
}

/** What shard `index`'s run produced, ready for `analyze`: its workers' buckets merged, its facts, its shard section. */
export function simulateShard(shape: ShardShape, index: number, scenario: Scenario): RawRun & { shard: ShardInfo } {
  const agg = new Aggregator();
  const workers: WorkerInfo[] = [];
  for (let w = 0; w < shape.workers; w++) workers.push(simulateWorker(shape, index, w, agg));
  // Second 0 a few ms apart, as shards released by one barrier; the barrier measured each host's clock.
  const loadStartMs = EPOCH_MS + ((index * 37) % 23);
  const shard: ShardInfo = {
    index, count: shape.shards, runId: 'bench-merge', host: `gen-${index}`, loadStartMs,
    sync: { kind: 'barrier', url: 'http://10.0.0.1:7000', arrived: shape.shards, waitedMs: 800 + index },
    clockOffsetMs: ((index * 13) % 9) - 4, clockUncertaintyMs: 0.4,
    clients: shape.workers * shape.clientsPerWorker,
  };
  return {
    scenario,
    status: 'complete',
    startedAt: new Date(loadStartMs - 1500),
    endedAt: new Date(loadStartMs + shape.seconds * 1000 + 300),
    environment: describeEnvironment(shape.workers),
    target: { kind: 'external', url: 'ws://127.0.0.1:9/' },
    aggregator: agg,
    workers,
    memory: {
      coordinator: { pid: 9_000 + index, startRssBytes: 80e6, maxRssBytes: 120e6 },
      tree: { startRssBytes: 220e6, maxRssBytes: 520e6, peakOpen: shard.clients, rssAtPeakOpenBytes: 500e6, bytesPerConnection: 140_000 },
    },
    shard,
  };
}

/** Writes shard `index`'s results.json under `dir/shard-<index>`, built as `run --shard index/N` builds it. */
export async function writeShard(shape: ShardShape, index: number, dir: string, scenario: Scenario): Promise<{ file: string; established: number }> {
  const results = analyze(simulateShard(shape, index, scenario));
  const out = await prepareOutDir(path.join(dir, `shard-${index}`));
  return { file: await writeResults(out, results), established: results.summary.counters.established };
}

/**
 * What the shard section costs a run once its load has ended, at this shape: the same worker buckets analysed and
 * written (results.json and the HTML report, as `run` does) without and with it. Each side from its own freshly
 * simulated Aggregator, since the series' percentiles are cached once computed.
 */
export async function endOfRunCost(shape: ShardShape, scenario: Scenario, dir: string): Promise<{ plainMs: number; shardMs: number; plainBytes: number; shardBytes: number }> {
  const time = async (sharded: boolean): Promise<{ ms: number; bytes: number }> => {
    const { shard, ...plain } = simulateShard(shape, 0, scenario);
    const out = await prepareOutDir(path.join(dir, sharded ? 'end-shard' : 'end-plain'));
    const t0 = performance.now();
    const files = await writeRunFiles(out, analyze(sharded ? { ...plain, shard } : plain));
    const ms = performance.now() - t0;
    return { ms, bytes: statSync(files.results).size };
  };
  const p = await time(false);
  const s = await time(true);
  return { plainMs: p.ms, shardMs: s.ms, plainBytes: p.bytes, shardBytes: s.bytes };
}
