import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chartData, OTHER_ERRORS, percentileCurves, TOP_ERROR_CODES } from '../../src/report/chart-data.js';
import { encodeHistogram, newHistogram } from '../../src/metrics/hdr.js';
import type { SeriesPoint } from '../../src/results/types.js';

function point(t: number, over: Partial<SeriesPoint> = {}): SeriesPoint {
  return {
    t, open: 0, opened: 0, failed: 0, dropped: 0, closed: 0, errors: {}, messagesSent: 0, messagesReceived: 0,
    rttP50: null, rttP99: null, connectP99: null, backendsOpen: {}, lagMaxMs: 0, fds: 0, ...over,
  };
}

describe('chartData', () => {
  test('one point per second for short runs, with every backend as a column', () => {
    const d = chartData([point(0, { open: 5, backendsOpen: { b1: 5 } }), point(1, { open: 7, backendsOpen: { b2: 7 } })], ['b1']);
    assert.equal(d.step, 1);
    assert.deepEqual(d.t, [0, 1]);
    assert.deepEqual(d.open, [5, 7]);
    assert.deepEqual(d.backendIds, ['b1', 'b2']);
    assert.deepEqual(d.backendsOpen, [[5, 0], [0, 7]]);
  });

  test('thinned: gauges keep their max, per-second counts their mean, empty seconds stay null', () => {
    const series = [
      point(0, { open: 10, opened: 4, rttP50: 1, rttP99: 5, lagMaxMs: 3 }),
      point(1, { open: 30, opened: 0, rttP50: null, rttP99: null, lagMaxMs: 9 }),
      point(2, { open: 20, opened: 2, rttP50: 3, rttP99: 2 }),
      point(3, { open: 1, opened: 0 }),
    ];
    const d = chartData(series, [], 2);
    assert.equal(d.step, 2);
    assert.deepEqual(d.t, [0, 2]);
    assert.deepEqual(d.open, [30, 20]);
    assert.deepEqual(d.opened, [2, 1]);
    assert.deepEqual(d.rttP50, [1, 3]);
    assert.deepEqual(d.rttP99, [5, 2]);
    assert.deepEqual(d.lagMaxMs, [9, 0]);
    assert.deepEqual(chartData([point(0), point(1)], []).rttP50, [null, null]);
  });
});

/** A deterministic pseudo-random sequence (xorshift32): the same cases on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

describe('chartData: errors by code and messages', () => {
  test('the top codes by count, the rest as other; the columns sum to failed + dropped each second', () => {
    const codes = ['ECONNREFUSED', 'ECONNRESET', 'EMFILE', 'connect_timeout', 'http_502', 'close_1006', 'EADDRNOTAVAIL', 'handshake_timeout'];
    const rand = rng(7);
    const series = Array.from({ length: 50 }, (_, t) => {
      const errors: Record<string, number> = {};
      // Code k is drawn with weight 1/(k+1): a clear ranking with the tail still present.
      for (const [k, code] of codes.entries()) if (rand() < 1 / (k + 1)) errors[code] = 1 + Math.floor(rand() * (10 - k));
      const total = Object.values(errors).reduce((a, n) => a + n, 0);
      const dropped = Math.floor(total / 3);
      return point(t, { errors, failed: total - dropped, dropped });
    });
    const d = chartData(series, []);
    assert.equal(d.errorCodes.length, TOP_ERROR_CODES + 1);
    assert.equal(d.errorCodes.at(-1), OTHER_ERRORS);
    const totals = new Map(codes.map((c) => [c, series.reduce((a, p) => a + (p.errors[c] ?? 0), 0)]));
    const named = d.errorCodes.slice(0, -1).map((c) => totals.get(c) ?? -1);
    assert.deepEqual(named, [...named].sort((a, b) => b - a), 'most frequent first');
    const least = Math.min(...named);
    for (const c of codes.filter((x) => !d.errorCodes.includes(x))) assert.ok((totals.get(c) ?? 0) <= least, `${c} belongs in other`);
    d.t.forEach((_, k) => {
      const sum = d.errorsByCode.reduce((a, col) => a + (col[k] ?? 0), 0);
      assert.equal(sum, (d.failed[k] ?? 0) + (d.dropped[k] ?? 0), `second ${k}`);
    });
  });

  test('few codes: no other column; thinned columns are means like the other per-second counts', () => {
    const series = [
      point(0, { errors: { ECONNRESET: 4 }, dropped: 4, messagesSent: 10, messagesReceived: 8 }),
      point(1, { errors: { ECONNRESET: 2, EMFILE: 1 }, failed: 1, dropped: 2, messagesSent: 20, messagesReceived: 20 }),
      point(2, { messagesSent: 5, messagesReceived: 5 }),
      point(3),
    ];
    const d = chartData(series, [], 2);
    assert.deepEqual(d.errorCodes, ['ECONNRESET', 'EMFILE']);
    assert.deepEqual(d.errorsByCode, [[3, 0], [0.5, 0]]);
    assert.deepEqual(d.messagesSent, [15, 2.5]);
    assert.deepEqual(d.messagesReceived, [14, 2.5]);
    assert.deepEqual(chartData([point(0), point(1)], []).errorCodes, []);
  });
});

describe('percentileCurves', () => {
  test('monotone in percentile, from the minimum to the maximum, for random histograms (property)', () => {
    const rand = rng(42);
    for (let round = 0; round < 30; round++) {
      const connect = newHistogram();
      const rtt = newHistogram();
      const n = 1 + Math.floor(rand() * 5000);
      // Log-uniform µs values from 10 µs to ~10 s: bodies and tails of every shape.
      for (let i = 0; i < n; i++) connect.recordValue(Math.round(10 * 10 ** (rand() * 6)));
      for (let i = 0; i < 100; i++) rtt.recordValue(200 + Math.floor(rand() * 300));
      const c = percentileCurves({ connect: encodeHistogram(connect), rtt: encodeHistogram(rtt), handshake: encodeHistogram(newHistogram()) });
      assert.ok(c, 'curves for non-empty histograms');
      assert.deepEqual(c.names, ['connect', 'rtt'], 'in HISTOGRAM_NAMES order, empty ones left out');
      assert.equal(c.x[0], 1);
      assert.ok(c.x.every((x, k) => k === 0 || x > (c.x[k - 1] ?? Infinity)), 'x increases');
      assert.ok(c.x.length <= 6 * 8 + 1, `a few dozen points: ${c.x.length}`);
      for (const [i, line] of c.ms.entries()) {
        const h = i === 0 ? connect : rtt;
        const vals = line.filter((v): v is number => v !== null);
        assert.ok(vals.every((v, k) => k === 0 || v >= (vals[k - 1] ?? Infinity)), `${c.names[i]}: monotone ${JSON.stringify(vals)}`);
        // Values are the histogram's own (highest equivalent value of a bucket): within its 3 significant digits.
        assert.ok(Math.abs((vals[0] ?? 0) - h.minNonZeroValue / 1000) <= (h.minNonZeroValue / 1000) * 1e-3 + 1e-3, 'starts at the minimum');
        assert.equal(vals.at(-1), Math.round(h.getValueAtPercentile(100)) / 1000, 'ends at the maximum');
        // Nulls only at the end: past what the count resolves.
        const firstNull = line.indexOf(null);
        assert.ok(firstNull === -1 || line.slice(firstNull).every((v) => v === null));
      }
    }
  });

  test('undefined when no histogram recorded a sample', () => {
    assert.equal(percentileCurves({}), undefined);
    assert.equal(percentileCurves({ rtt: encodeHistogram(newHistogram()) }), undefined);
  });
});
