import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { decodeHistogram, encodeHistogram, latencyStats, newHistogram } from '../../src/metrics/hdr.js';
import type { SecondBucket } from '../../src/metrics/types.js';

const gauges = (open: number, backendsOpen: Record<string, number> = {}) => ({ open, backendsOpen, lagMaxMs: 0, fds: open });

/** Deterministic pseudo-random latencies (µs) so the test is reproducible. */
function samples(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 100 + (x % 50_000);
  });
}

describe('Aggregator merge', () => {
  test('merging two workers\' histograms equals recording every sample in one histogram', () => {
    const a = new Recorder();
    const b = new Recorder();
    const all = newHistogram();
    for (const v of samples(1, 5000)) { a.record('rtt', v); all.recordValue(v); }
    for (const v of samples(2, 3000)) { b.record('rtt', v); all.recordValue(v); }
    const agg = new Aggregator();
    agg.add([a.flush(0, gauges(0)), b.flush(0, gauges(0))]);
    // Compared with the single histogram after the same encoding workers ship: HDR transfer keeps each value's
    // bucket, so max becomes its bucket's highest equivalent value (within 0.1%), exactly as the merge does.
    assert.deepEqual(agg.latency().rtt, latencyStats(decodeHistogram(encodeHistogram(all))));
    assert.ok(Math.abs(agg.latency().rtt.max - latencyStats(all).max) <= latencyStats(all).max * 0.001);
    assert.equal(agg.latency().rtt.count, 8000);
  });

  test('order does not matter; counters, errors and gauges sum per second; gaps are filled', () => {
    const buckets: SecondBucket[] = [];
    for (const [worker, t] of [[0, 0], [1, 0], [0, 2], [1, 2]] as const) {
      const r = new Recorder();
      r.count('attempted', 10 + worker);
      r.count('established', 9 + worker);
      r.count('failed');
      r.error(worker === 0 ? 'ECONNREFUSED' : 'http_503');
      r.backendOpened(worker === 0 ? 'b1' : 'b2');
      r.record('connect', 1000 * (worker + 1));
      buckets.push(r.flush(t, gauges(5 + worker, { [`b${worker + 1}`]: 5 + worker })));
    }
    const forward = new Aggregator();
    forward.add(buckets);
    const backward = new Aggregator();
    for (const bk of [...buckets].reverse()) backward.add(bk);
    assert.deepEqual(backward.series(), forward.series());
    assert.deepEqual(forward.totals().attempted, 42);
    assert.deepEqual(forward.totals().established, 38);
    assert.deepEqual(forward.errorsByCode(), { ECONNREFUSED: 2, http_503: 2 });
    assert.deepEqual(forward.backendCounts(), { b1: 2, b2: 2 });
    const series = forward.series();
    assert.equal(series.length, 3);
    assert.equal(series[1]?.open, 0); // second 1: no worker reported, an empty point
    assert.equal(series[0]?.open, 11);
    assert.deepEqual(series[2]?.backendsOpen, { b1: 5, b2: 6 });
    assert.equal(forward.peakOpen(), 11);
    assert.deepEqual(forward.openRate(), { mean: 19, max: 19 });
  });

  test('a whole-run histogram survives encoding, so shards merge exactly', () => {
    const r = new Recorder();
    for (const v of samples(3, 1000)) r.record('handshake', v);
    const one = new Aggregator();
    one.add(r.flush(0, gauges(0)));
    const encoded = one.encodedHistograms().handshake;
    assert.ok(encoded);
    const shard: SecondBucket = { ...r.flush(1, gauges(0)), hist: { handshake: encoded } };
    const merged = new Aggregator();
    merged.add(shard);
    assert.deepEqual(merged.latency().handshake, one.latency().handshake);
  });
});
