import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chartData } from '../../src/report/chart-data.js';
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
