/**
 * Issue 18: "Merging the N shards of a run equals, figure by figure, the same run's workers merged on one host."
 * One run's worker buckets (the real Recorder's) go to one host's Aggregator, and split over three shards whose
 * results (analyze + raw, as `run --shard` writes them) are merged: every figure of results.json is the same,
 * thresholds included — only the merge's own section differs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import type { SecondBucket, WorkerInfo } from '../../src/metrics/types.js';
import { analyze, type RawRun } from '../../src/analysis/analyze.js';
import { mergeResults } from '../../src/merge/merge.js';
import { checkShards } from '../../src/merge/check.js';
import type { Results } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';
import { parseThreshold } from '../../src/scenario/thresholds.js';

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/** Six workers × 30 s of a run: openings on a ramp, messages every second, failures now and then. */
function workers(): SecondBucket[][] {
  return Array.from({ length: 6 }, (_, w) => {
    const r = rng(100 + w);
    let now = 0;
    const rec = new Recorder(() => now);
    let open = 0;
    return Array.from({ length: 30 }, (_, t) => {
      const opening = t < 10 ? 10 : 0;
      for (let i = 0; i < opening; i++) {
        now = t * 1000 + i * 90;
        rec.count('attempted');
        if (r() < 0.97) {
          rec.count('established');
          rec.backendOpened(`b${Math.floor(r() * 4)}`);
          rec.record('connect', 300 + Math.floor(r() ** 2 * 20_000));
          open++;
        } else {
          rec.count('failed');
          rec.error('ECONNRESET', `worker ${w}`);
        }
      }
      for (let i = 0; i < open; i++) rec.record('rtt', 200 + Math.floor(r() ** 4 * 150_000));
      rec.count('messagesSent', open);
      rec.count('messagesReceived', open);
      return rec.flush(t, { open, backendsOpen: { b0: open }, lagMaxMs: Math.floor(r() * 30), fds: open });
    });
  });
}

const info = (id: number): WorkerInfo => ({ id, pid: 1000 + id, fdLimit: 20_000, clients: 100, maxFds: 100, maxLagMs: 20, cpuMs: 900, maxRssBytes: 80e6, stalls: [], exit: 'ok' });

function rawRun(agg: Aggregator, ws: WorkerInfo[]): RawRun {
  const base = sampleResults();
  const thresholds = ['p99(rtt) < 120ms', 'errors.rate < 5%', 'connections.established >= 550'].map((source) => {
    const t = parseThreshold(source);
    if ('error' in t) throw new Error(t.error);
    return { ...t, source, location: { line: 1, column: 1 } };
  });
  return {
    scenario: { ...base.scenario, clients: 600, lab: undefined, target: { url: 'ws://127.0.0.1:9/' }, thresholds } as unknown as RawRun['scenario'],
    status: 'complete', startedAt: new Date('2026-12-07T20:00:00Z'), endedAt: new Date('2026-12-07T20:00:31Z'),
    environment: { ...base.environment, workers: ws.length }, target: { kind: 'external', url: 'ws://127.0.0.1:9/' },
    aggregator: agg, workers: ws,
  };
}

test('three shards merged equal the same workers merged on one host, figure by figure', () => {
  const all = workers();
  const host = new Aggregator();
  for (const w of all) host.add(w);
  const whole = analyze(rawRun(host, all.map((_, i) => info(i))));

  const shards = [0, 1, 2].map((index) => {
    const agg = new Aggregator();
    const mine = all.filter((_, w) => w % 3 === index);
    for (const w of mine) agg.add(w);
    const results: Results = JSON.parse(JSON.stringify(analyze({
      ...rawRun(agg, mine.map((_, k) => info(index + 3 * k))),
      shard: { index, count: 3, runId: 'r', host: `gen-${index}`, loadStartMs: 1_800_000_000_000 + index * 40, sync: { kind: 'none' }, clients: 200 },
    }))) as Results;
    return { file: `shard-${index}.json`, results };
  });
  const merged = mergeResults(checkShards(shards), 1000);

  assert.equal(merged.status, 'complete');
  assert.deepEqual(merged.summary, whole.summary);
  assert.deepEqual(merged.histograms, whole.histograms);
  assert.deepEqual(merged.backends, whole.backends);
  assert.deepEqual(merged.series, whole.series);
  assert.deepEqual(merged.thresholds, whole.thresholds);
  assert.deepEqual(merged.analysis, whole.analysis);
  assert.equal(merged.generator.workers.length, 6);
  // Not vacuous: thresholds were judged, one of them failing, on the merged figures.
  assert.equal(merged.thresholds.length, 3);
  assert.ok(merged.thresholds.some((t) => !t.pass) && merged.thresholds.some((t) => t.pass));
  assert.ok(whole.summary.counters.established > 550);
  // Each shard judged none: a part is not the whole.
  assert.deepEqual(shards.map((s) => s.results.thresholds.length), [0, 0, 0]);
  assert.equal(merged.merge?.startSpreadMs, 80);
});

test('a shard that started 2.4 s after the others lands 2 s later on the merged clock; its barrier offset is used', () => {
  const all = workers();
  const mk = (index: number, loadStartMs: number, clockOffsetMs?: number): { file: string; results: Results } => {
    const agg = new Aggregator();
    agg.add(all[index] as SecondBucket[]);
    const results = JSON.parse(JSON.stringify(analyze({
      ...rawRun(agg, [info(index)]),
      shard: { index, count: 2, host: 'h', loadStartMs, sync: { kind: 'none' }, clients: 300, ...(clockOffsetMs === undefined ? {} : { clockOffsetMs, clockUncertaintyMs: 1 }) },
    }))) as Results;
    return { file: `s${index}`, results };
  };
  // Shard 1's own clock says it started 2.4 s late; the barrier measured its clock 2.4 s fast: it started on time.
  const onTime = mergeResults(checkShards([mk(0, 1_000_000, 0), mk(1, 1_002_400, -2400)]), 1000);
  assert.deepEqual(onTime.merge?.shards.map((s) => s.shiftSeconds), [0, 0]);
  assert.equal(onTime.merge?.startSpreadMs, 0);
  assert.equal(onTime.merge?.startSpreadUncertaintyMs, 2);
  assert.match(onTime.merge?.warnings.join(' ') ?? '', /clocks disagree by up to 2,400 ms/);
  const late = mergeResults(checkShards([mk(0, 1_000_000), mk(1, 1_002_400)]), 1000);
  assert.deepEqual(late.merge?.shards.map((s) => s.shiftSeconds), [0, 2]);
  assert.equal(late.merge?.startSpreadMs, 2400);
  assert.match(late.merge?.warnings.join(' ') ?? '', /second 0 spread over 2,400 ms \(tolerance 1,000 ms\)/);
  // Shard 1's first second is the merged run's second 2.
  const first = all[1]?.[0];
  assert.equal(late.series[2]?.opened, (all[0]?.[2]?.counters.established ?? 0) + (first?.counters.established ?? 0));
});

test('shards run from different checkouts are one scenario; a different data file is not', () => {
  const agg = new Aggregator();
  agg.add(workers()[0] as SecondBucket[]);
  const at = (index: number, root: string, data: string): { file: string; results: Results } => {
    const r = JSON.parse(JSON.stringify(analyze({
      ...rawRun(agg, [info(index)]),
      shard: { index, count: 2, host: 'h', loadStartMs: 1, sync: { kind: 'none' }, clients: 300 },
    }))) as Results;
    r.scenario.file = `${root}/scenarios/s.yaml`;
    for (const t of r.scenario.thresholds) t.location = { ...t.location, file: `${root}/scenarios/s.yaml` };
    r.scenario.behavior.data = { file: `${root}/scenarios/data/${data}`, format: 'csv', order: 'sequential' } as Results['scenario']['behavior']['data'];
    return { file: `${root}/shard-${index}`, results: r };
  };
  assert.equal(checkShards([at(0, '/builds/a', 'users.csv'), at(1, '/home/runner/b', 'users.csv')]).length, 2);
  assert.throws(() => checkShards([at(0, '/builds/a', 'users.csv'), at(1, '/builds/b', 'other.csv')]), /different scenarios .*scenario\.behavior\.data\.file/);
});
