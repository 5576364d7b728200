/**
 * A run's raw metrics (Aggregator.raw) are what a shard ships for the exact merge: re-added (addRaw) they must give
 * every figure the workers' own buckets gave — split any way into "shards", merged back, nothing moves.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import type { SecondBucket } from '../../src/metrics/types.js';
import { summarizeFlow } from '../../src/analysis/flow.js';
import { workerA, workerB } from './flow-fixture.js';

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/** Eight workers' buckets over 20 seconds: every kind of figure a bucket carries, some seconds without slots. */
function workerBuckets(): SecondBucket[][] {
  const out: SecondBucket[][] = [];
  for (let w = 0; w < 8; w++) {
    const r = rng(w + 1);
    let now = 0;
    const rec = new Recorder(() => now);
    const buckets: SecondBucket[] = [];
    let open = 0;
    for (let t = 0; t < 20; t++) {
      for (let i = 0; i < 50; i++) {
        now = t * 1000 + Math.floor(r() * 1000);
        rec.record('rtt', 100 + Math.floor(r() ** 3 * 80_000));
        if (r() < 0.3) rec.record('connect', 200 + Math.floor(r() * 5000));
        if (r() < 0.1) rec.record('handshake', 300 + Math.floor(r() * 5000));
      }
      const opened = Math.floor(r() * 10);
      for (let i = 0; i < opened; i++) {
        rec.count('attempted');
        rec.count('established');
        rec.backendOpened(`b${(w + i) % 3}`);
      }
      open += opened;
      if (r() < 0.3) rec.error(r() < 0.5 ? 'ECONNREFUSED' : 'http_503', `worker ${w} second ${t}`);
      if (r() < 0.3) rec.session('attempted', 2);
      if (r() < 0.2) rec.reconnect('moved');
      if (r() < 0.2) rec.rehome('same');
      if (r() < 0.2) rec.groupBackend(`g${w % 2}`, `b${t % 3}`);
      rec.count('messagesSent', 50);
      rec.count('messagesReceived', 49);
      buckets.push(rec.flush(t, { open, backendsOpen: { b0: open }, lagMaxMs: Math.floor(r() * 40), fds: open + 3 }));
    }
    out.push(buckets);
  }
  out.push(workerA(), workerB());
  return out;
}

/** Every figure the analysis reads from an Aggregator. */
function figures(agg: Aggregator): unknown {
  const flow = agg.flow();
  return {
    series: agg.series(), totals: agg.totals(), errors: agg.errorsByCode(), backends: agg.backendCounts(),
    hist: agg.encodedHistograms(), latency: agg.latency(), groups: agg.groupBackends(), samples: agg.errorSamples(),
    sessions: agg.sessionCounts(), flow: flow === undefined ? undefined : summarizeFlow(flow),
    peakOpen: agg.peakOpen(), openRate: agg.openRate(),
  };
}

describe('raw metrics', () => {
  test('raw → addRaw reproduces every figure of the aggregator it came from', () => {
    const all = new Aggregator();
    for (const w of workerBuckets()) all.add(w);
    const again = new Aggregator();
    again.addRaw(JSON.parse(JSON.stringify(all.raw())));
    assert.deepEqual(figures(again), figures(all));
  });

  test('the workers split into 3 shards, each shard\'s raw merged: the same figures as the workers merged on one host', () => {
    const workers = workerBuckets();
    const host = new Aggregator();
    for (const w of workers) host.add(w);
    const shards = [new Aggregator(), new Aggregator(), new Aggregator()];
    workers.forEach((w, i) => (shards[i % 3] as Aggregator).add(w));
    const merged = new Aggregator();
    for (const s of shards) merged.addRaw(JSON.parse(JSON.stringify(s.raw())));
    assert.deepEqual(figures(merged), figures(host));
    // Not vacuous: the figures hold what the workers recorded.
    assert.ok(host.totals().established > 100);
    assert.ok((host.latency().rtt.count) === 8 * 20 * 50);
  });

  test('a shard whose second 0 came later is shifted onto the merged clock, publishes and memberships too', () => {
    const a = new Aggregator();
    a.add(workerA());
    const b = new Aggregator();
    b.add(workerB());
    // workerB's buckets moved two seconds later by hand, and by addRaw's shift: the same figures.
    const byHand = new Aggregator();
    byHand.add(workerA());
    const shifted = workerB().map((bk) => ({ ...bk, t: bk.t + 2 }));
    const viaRaw = new Aggregator();
    viaRaw.addRaw(a.raw());
    viaRaw.addRaw(b.raw(), 2);
    byHand.add(shifted);
    assert.deepEqual(viaRaw.series().map((p) => [p.t, p.flow]), byHand.series().map((p) => [p.t, p.flow]));
    const memberships = (viaRaw.flow()?.deliveries.memberships ?? []).map((m) => m.join(' ')).sort();
    const fromB = (b.flow()?.deliveries.memberships ?? []).map(([tp, be, f, to]) => `${tp} ${be} ${f + 2} ${to + 2}`);
    for (const m of fromB) assert.ok(memberships.includes(m), m);
    const keys = Object.keys(viaRaw.flow()?.deliveries.published ?? {});
    for (const k of Object.keys(b.flow()?.deliveries.published ?? {})) {
      const [s, ...rest] = k.split('\t');
      assert.ok(keys.includes([Number(s) + 2, ...rest].join('\t')), k);
    }
  });
});
