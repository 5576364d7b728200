import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findCliff, proxyFdPrediction } from '../../src/analysis/cliff.js';
import type { SeriesPoint } from '../../src/results/types.js';

const point = (t: number, open: number, failed = 0, errors: Record<string, number> = {}): SeriesPoint => ({
  t, open, opened: 0, failed, dropped: 0, closed: 0, errors, messagesSent: 0, messagesReceived: 0,
  rttP50: null, rttP99: null, connectP99: null, backendsOpen: {}, lagMaxMs: 0, fds: 0,
});

describe('findCliff', () => {
  test('the open count when failures began, beside the proxy fd prediction', () => {
    const p = proxyFdPrediction(256, 24);
    assert.deepEqual(p, { component: 'proxy', resource: 'fds', at: 116, formula: '(256 − 24) / 2' });
    const c = findCliff([point(2, 116, 40, { ECONNRESET: 40 }), point(0, 50), point(1, 110), point(3, 116, 44, { ECONNRESET: 44 })], p);
    assert.equal(c.measured, 116);
    assert.equal(c.atSecond, 2);
    assert.equal(c.deviation, 0);
    assert.equal(c.diagnosis, 'Failures began at 116 open connections (second 2: ECONNRESET); the proxy fds limit predicts 116 = (256 − 24) / 2, within 5%: the cliff is that limit.');
  });

  test('far from the prediction: something else gave way first; no failures: the peak and the margin', () => {
    const off = findCliff([point(0, 40), point(1, 60, 3, { ECONNREFUSED: 3 })], proxyFdPrediction(1024, 24));
    assert.equal(off.measured, 60);
    assert.match(off.diagnosis, /predicts 500 = \(1024 − 24\) \/ 2, -88\.0% off: something else gave way first\.$/);
    const none = findCliff([point(0, 10), point(1, 20)], proxyFdPrediction(1024, 24));
    assert.equal(none.measured, null);
    assert.equal(none.diagnosis, 'No failures: the run peaked at 20 open connections, below the predicted proxy fds cliff of 500.');
  });
});
